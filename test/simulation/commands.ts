import fc from 'fast-check';
import { DateTime } from 'luxon';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { UNIT_SCOPES } from '../../src/queue/run-scope.ts';
import {
  DatabaseRefuses,
  FOR_GOOD,
  ProviderFault,
  ProviderHeals,
  SLACK_FAULTS,
  SLACK_HANG_METHODS,
  SlackFault,
  SlackHangs,
  SlackReplyLost,
} from './faults.ts';
import type { Model } from './model.ts';
import {
  AuditFix,
  CliRerun,
  DataChange,
  ManualRun,
  Postcheck,
  ProvidersSet,
  SNOOZES,
  SnoozeAdd,
  SnoozeEnd,
} from './operators.ts';
import { FAULT_KINDS, type FaultKind } from './sim-providers.ts';
import {
  AppHome,
  type Person,
  RepairClick,
  RepairOptions,
  ReplayLast,
  Share,
  SlashRerun,
  SlashStatus,
} from './slack-requests.ts';
import { FIRES, KillWorker, Tick, Work } from './time-work.ts';
import type { World } from './world.ts';

/**
 * Every command the simulator draws, with its arguments. fast-check picks among these uniformly;
 * time moves only through Tick, so Tick and Work appear several times.
 */

const provider = fc.constantFrom(...PROVIDER_NAMES);
const person = fc.constantFrom<Person>('admin', 'admin', 'groupAdmin', 'outsider');
const org = fc.nat({ max: 5 });

type Arb = fc.Arbitrary<fc.AsyncCommand<Model, World>>;

/** fast-check draws among the entries uniformly: an entry listed twice is drawn twice as often. */
const twice = (arb: Arb): Arb[] => [arb, arb];
const fourTimes = (arb: Arb): Arb[] => [arb, arb, arb, arb];

export const COMMAND_ARBITRARIES: Arb[] = [
  // time and work, drawn more often than the rest: a run of 10 commands covers about a night
  ...Array.from({ length: 5 }, () => fc.constantFrom(...FIRES).map((fire) => new Tick(fire))),
  fc.constantFrom<'trigger' | 'postcheck'>('trigger', 'postcheck').map((fire) => new Tick(fire)),
  fc
    .record({ workers: fc.constantFrom(1, 1, 2), stop: fc.option(fc.integer({ min: 1, max: 20 })) })
    .map(({ workers, stop }) => new Work(workers, stop ?? undefined)),
  // Drains once more than the rest, so a repair is most often followed by one (its tasks run).
  ...Array.from({ length: 4 }, () => fc.constantFrom(1, 2).map((workers) => new Work(workers, undefined))),
  fc.integer({ min: 1, max: 6 }).map((n) => new KillWorker(n)),
  // operators in Slack. Actions that change the night are drawn more often than the rest: that is
  // where features meet. Repairs four times (a run of about 10 commands should meet one after
  // the units an outage failed for good, then a drain), provider changes twice. Reading a surface
  // (/sched-status, App Home) is one entry: every surface is read after every command anyway.
  ...fourTimes(
    fc
      .tuple(person, fc.boolean(), fc.boolean())
      .map(([who, replay, stale]) => new RepairClick(who, replay, stale)),
  ),
  ...fourTimes(
    fc
      .tuple(person, fc.boolean(), fc.constantFrom(...UNIT_SCOPES), fc.option(provider), fc.boolean())
      .map(
        ([who, replay, scope, p, opened]) => new RepairOptions(who, replay, scope, p ?? undefined, opened),
      ),
  ),
  fc.tuple(person, fc.boolean(), org).map(([who, replay, o]) => new SlashRerun(who, replay, o)),
  fc.oneof(
    fc.tuple(person, fc.boolean()).map(([who, replay]) => new SlashStatus(who, replay)),
    fc.tuple(person, fc.boolean()).map(([who, replay]) => new AppHome(who, replay)),
  ),
  fc.tuple(person, fc.boolean()).map(([who, replay]) => new Share(who, replay)),
  // operators at the CLI and over HTTP
  fc
    .tuple(fc.constantFrom<'cli' | 'http'>('cli', 'http'), fc.boolean())
    .map(([via, repair]) => new Postcheck(via, repair)),
  fc.tuple(org, fc.constantFrom(...UNIT_SCOPES)).map(([o, scope]) => new CliRerun(o, scope)),
  fc.constantFrom<'cli' | 'http'>('cli', 'http').map((via) => new ManualRun(via)),
  ...twice(fc.tuple(provider, fc.boolean()).map(([p, enabled]) => new ProvidersSet(p, enabled))),
  fc.tuple(fc.constantFrom(...SNOOZES), provider, org).map(([kind, p, o]) => new SnoozeAdd(kind, p, o)),
  fc.constant(null).map(() => new SnoozeEnd()),
  fc
    .tuple(
      fc.constantFrom<'prompt' | 'org' | 'plan'>('prompt', 'org', 'plan'),
      fc.nat({ max: 40 }),
      fc.constantFrom('starter', 'growth', 'pro', 'enterprise'),
    )
    .map(([what, index, plan]) => new DataChange(what, index, plan)),
  fc.constant(null).map(() => new AuditFix()),
  // faults
  fc
    .tuple(
      provider,
      fc.constantFrom(...FAULT_KINDS),
      fc.integer({ min: 1, max: 4 }),
      // Up to 2 failed calls the task's retries absorb; 3 or more outlast its attempts (3), so the
      // unit fails for good and Repair has work to do.
      fc.integer({ min: 1, max: 6 }),
    )
    .map(([p, kind, share, calls]) => new ProviderFault(p, kind, share, calls)),
  provider.map((p) => new ProviderHeals(p)),
  // Slack failing, one entry for its three ways: errors, lost replies, hangs
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom<'chat.postMessage' | 'chat.update' | 'views.publish'>(
          'chat.postMessage',
          'chat.update',
          'views.publish',
        ),
        fc.constantFrom(...SLACK_FAULTS),
        // The client tries 3 times: up to 2 failures its retries absorb; 3 to 5 outlast them.
        fc.integer({ min: 1, max: 5 }),
      )
      .map(([method, error, times]) => new SlackFault(method, error, times)),
    fc
      .tuple(
        fc.constantFrom<'chat.postMessage' | 'chat.update'>('chat.postMessage', 'chat.update'),
        fc.integer({ min: 1, max: 2 }),
      )
      .map(([method, times]) => new SlackReplyLost(method, times)),
    fc
      .tuple(
        fc.constantFrom(...SLACK_HANG_METHODS),
        fc.integer({ min: 1, max: 2 }),
        // 'forever': a call Slack never answers, which only the client's timeout ends.
        fc.constantFrom<number | 'forever'>(200, 1500, 'forever'),
      )
      .map(([method, times, ms]) => new SlackHangs(method, times, ms)),
  ),
  fc.constant(null).map(() => new DatabaseRefuses()),
  // people: the same request again, later
  fc.constant(null).map(() => new ReplayLast()),
];

/**
 * Where a run starts: between midnight and the trigger (the database is set up before the first
 * night it owes), the day before a DST change either way, or an ordinary day; all before today,
 * as the database clock (leases, edits) must not run behind the virtual one.
 */
export const START = fc
  .tuple(
    fc.constantFrom('2026-10-31', '2026-03-07', '2026-06-10', '2026-11-19'),
    fc.integer({ min: 0, max: 5 }),
  )
  .map(([day, halfHour]) =>
    DateTime.fromISO(day, { zone: 'America/New_York' })
      .set({ hour: Math.floor(halfHour / 2), minute: (halfHour % 2) * 30 })
      .toJSDate(),
  );

/**
 * A start in about two runs of three: a provider down for good, and the night's trigger and a
 * drain behind, so its hit units (a share of them, by prompt) failed every attempt. They keep
 * failing a repair's attempts too, until ProviderHeals. The chain the repair checks need (a night
 * with units failed for good, a Repair, a drain) is then one Repair and one Work away, instead of
 * a random fault that outlasts a task's attempts met before the trigger. Only kinds that spend
 * attempts: a rate limit gives its attempt back, auth pauses the provider for a person.
 */
export class Outage {
  constructor(readonly fault: ProviderFault) {}
  commands() {
    return [this.fault, new Tick('trigger'), new Work(1, undefined)];
  }
  toString() {
    return this.commands().join(', ');
  }
}

export const OUTAGE = fc.option(
  fc
    .tuple(provider, fc.constantFrom<FaultKind>('server', 'timeout', 'empty'), fc.integer({ min: 1, max: 4 }))
    .map(([p, kind, share]) => new Outage(new ProviderFault(p, kind, share, FOR_GOOD))),
  { freq: 3, nil: undefined },
);
