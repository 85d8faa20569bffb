import { afterAll, beforeAll, describe, it } from 'vitest';
import { backends, type TestDatabase } from '../support/db.ts';
import { DatabaseRefuses, ProviderFault, SlackFault, SlackReplyLost } from './faults.ts';
import { CliRerun, DataChange, ProvidersSet } from './operators.ts';
import { runScenario } from './scenario.ts';
import { RepairClick, ReplayLast, Share, SlashStatus } from './slack-requests.ts';
import { Tick, Work } from './time-work.ts';

/**
 * The simulator's shrunk cases, kept as named tests: each is a command list the simulator found
 * (or a defect of the last round restated as one), run with every invariant checked after every
 * command. The cases of issues 22 and 23 failed on main before their fixes were merged and hold
 * now; so do the four the simulator found on the merged code, fixed in the audit.
 */

/** 00:00 in New York, the night of Sat, Oct 31, 2026 (the DST change follows on Nov 1). */
const MIDNIGHT = new Date('2026-10-31T04:00:00Z');
/** 08:00 in New York: a database set up after that night's trigger time. */
const MORNING = new Date('2026-10-31T12:00:00Z');
/** Birch Labs (growth: every provider), by slug order. */
const GROWTH_ORG = 1;

describe.each(backends())('night simulator regressions on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database?.close());

  it('issue 22: a healthy week-end across the DST change holds every invariant', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new Tick('trigger'),
        new Work(2, undefined),
        new Tick('postcheck'),
        new SlashStatus('admin', false),
        new Tick('midnight'),
        new Tick('postcheck'),
        new Work(1, undefined),
        new Tick('reconciler'),
      ],
      database.url,
    ));

  it('issue 22: a provider that failed for every org is never reported healthy', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new Tick('trigger'),
        new ProviderFault('gemini', 'server', 4, 9),
        new Work(1, undefined),
        new Tick('postcheck'),
      ],
      database.url,
    ));

  it('issue 22: disabling a provider mid-night leaves no task pending and closes every job', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('trigger'), new ProvidersSet('openai', false), new Work(1, undefined)],
      database.url,
    ));

  it('issue 22: the audit holds after an --all rerun (fresh answers were asked for)', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('trigger'), new Work(1, undefined), new CliRerun(GROWTH_ORG, 'all'), new Work(1, undefined)],
      database.url,
    ));

  it('issue 22: Share posts a copy and never becomes the night report', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('trigger'), new Work(1, undefined), new Tick('postcheck'), new Share('outsider', false)],
      database.url,
    ));

  // Found by the simulator (seed 247885094 on PostgreSQL): Share on a night not yet triggered
  // posts "No trigger ran" and records it as the night's report, which nothing edits afterwards.
  it('issue 22: Share of a night without a trigger leaves no stale report behind', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Share('admin', false), new Tick('trigger'), new Work(1, undefined)],
      database.url,
    ));

  it('issue 22: a night due before the database was set up is not reported missing by the audit', () =>
    runScenario(database.db, MORNING, [new SlashStatus('admin', false)], database.url));

  // Found by the simulator (seed 3003): the prompt deactivated brings an over-quota prompt of
  // the starter org into its quota; its units are expected and show as missing until Repair.
  it('issue 22: a prompt deactivated mid-night leaves the audit holding', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('trigger'), new DataChange('prompt', 11, 'starter')],
      database.url,
    ));

  // Found by the simulator (seed 1001): Slack answering 429 past the client's retries when the
  // report is posted; the postcheck is recorded, the report never posted, and nothing posts it
  // later (only the Slack link's "Slack is back", which a 429 does not trip).
  // Found by the simulator on the merged code (seed 1823898201, both backends): a prompt
  // deactivated after the postcheck changes the night's figures, and the audit, which knows no
  // time for such a change, calls the recorded figures a violation instead of a note.
  it('a prompt deactivated after the postcheck leaves the audit holding', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('postcheck'), new DataChange('prompt', 0, 'starter')],
      database.url,
    ));

  // Found by the simulator (seeds 1917731892 and 1663314961): a plan upgraded after the trigger
  // makes new units expected (more providers, a bigger quota) that the night's snapshot could not
  // know; the audit blamed the trigger for them. Repair runs them, by design.
  it('issue 25: a plan upgraded after the trigger leaves the audit holding', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('trigger'), new DataChange('plan', 0, 'enterprise')],
      database.url,
    ));

  // Found by the simulator (seed 779546391): a prompt deactivated after the postcheck lets another
  // prompt into its org's quota, so the night expects as many prompts as before but not the same
  // ones; recorded 40/40, measured 39/40, and the audit, which compared counts only, called it a fault.
  it('issue 25: a prompt deactivated after the postcheck, another coming into the quota, leaves the audit holding', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new Tick('postcheck'), new Work(1, undefined), new DataChange('prompt', 4, 'starter')],
      database.url,
    ));

  it('issue 23: a report Slack refused at 04:00 is posted by a later tick', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new Tick('trigger'),
        new Work(1, undefined),
        new SlackFault('chat.postMessage', 'ratelimited', 5),
        new Tick('postcheck'),
        new Tick('reconciler'),
      ],
      database.url,
    ));

  // Found by the simulator in CI (seed 1228036780, both backends): Slack refuses the report's post
  // at Saturday's postcheck (429 past the client's retries). Tick ran Sunday's 03:00 timer while
  // that post, begun at 04:00, was still in flight, so the tick left it to its poster and the
  // failure reached no tick. Tick now lets each timer's deliveries end before the next one.
  it("issue 25: a report Slack refused at the postcheck is posted by the next day's tick", () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new SlackFault('chat.postMessage', 'ratelimited', 3), new Tick('trigger'), new Tick('trigger')],
      database.url,
    ));

  // The same seed, later: a post Slack failed twice (500: looked up, then sent once more) at 04:00
  // and once more at the next day's 00:05, its only other tick; a real scheduler tries every
  // 5 minutes, so Tick runs the reconciler's next ticks after each timer.
  it('issue 25: a report Slack failed at 04:00 is posted within the reconciler ticks after it', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new SlackFault('chat.postMessage', 'fatal_error', 4), new Tick('midnight'), new Tick('midnight')],
      database.url,
    ));

  // Found by the simulator on PostgreSQL (seeds 2087247411 and 934394365): the worker that ends
  // the night re-measured it before its background close of the last job had committed, so the
  // report kept "orgs 3/4" after every job closed and every unit answered.
  it("the report counts an org found once the worker that ends the night has closed that org's job", () =>
    runScenario(
      database.db,
      new Date('2026-06-10T05:00:00Z'),
      [new Tick('midnight'), new Tick('postcheck'), new Work(1, undefined)],
      database.url,
    ));

  // Found by the simulator (seed 1305737209 on PostgreSQL, with the commands of issue 25's second
  // round): a provider disabled before the night's trigger and enabled again after it makes its
  // units expected with no task; the audit's allowance for "a provider came back" only saw orgs
  // that still held a task no longer expected, so it reported every such unit as unit_without_task
  // instead of a note, though Repair is the documented answer. The trigger's fingerprint of what
  // the night expects now shows those orgs changed since.
  it('issue 25: a provider enabled again after the trigger leaves the audit holding', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new ProvidersSet('openai', false),
        new Tick('postcheck'),
        new Work(1, undefined),
        new ProvidersSet('openai', true),
      ],
      database.url,
    ));

  // Found by `--runs 100` on PGlite (seed 1135206477, run 32): every openai unit refused 4 times
  // with a 429 is 160 paused calls one after another; the drain took over the simulator's 30 s
  // limit on a loaded machine and read as stuck. The product waited out each 429 as it should; the
  // simulator now calls a drain stuck only when no call has ended for 20 s.
  it('a drain through a long run of 429s is slow, not stuck', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [new ProviderFault('openai', 'rate_limited', 4, 4), new Tick('postcheck'), new Work(1, undefined)],
      database.url,
    ));

  // PostgreSQL only: PGlite has no connections to refuse.
  (backend.name === 'postgres' ? it : it.skip)(
    'issue 23: a database refusing connections makes the cron endpoint answer 503',
    () => runScenario(database.db, MIDNIGHT, [new Tick('trigger'), new DatabaseRefuses()], database.url),
  );

  it('issue 23: a lost reply posts the report once', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new Tick('trigger'),
        new Work(1, undefined),
        new SlackReplyLost('chat.postMessage', 1),
        new Tick('postcheck'),
      ],
      database.url,
    ));

  it('issue 23: a Repair click replayed later acts once', () =>
    runScenario(
      database.db,
      MIDNIGHT,
      [
        new Tick('trigger'),
        new ProviderFault('gemini', 'server', 4, 99),
        new Work(1, undefined),
        new Tick('postcheck'),
        new RepairClick('admin', false, false),
        new Work(1, undefined),
        new ReplayLast(),
      ],
      database.url,
    ));
});
