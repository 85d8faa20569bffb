import { sql } from 'drizzle-orm';
import { runAudit } from '../../src/audit/run-audit.ts';
import { queryOne } from '../../src/db/client.ts';
import { isSchedError } from '../../src/errors.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import type { UnitScope } from '../../src/queue/run-scope.ts';
import { runManualDaily } from '../../src/scheduler/manual-run.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { changeProvider } from '../../src/scheduler/provider-change.ts';
import { rerunOrg } from '../../src/scheduler/rerun.ts';
import { snoozeFromAsk } from '../../src/scheduler/snooze-request.ts';
import { endSnooze, openSnoozes } from '../../src/store/snoozes.ts';
import { bump, type Model, SimCommand, tonight } from './model.ts';
import { knownNights } from './oracle.ts';
import { orgSlug } from './slack-requests.ts';
import { CRON_SECRET, type World } from './world.ts';

/**
 * Operators at the CLI and over HTTP. The CLI's commands open a database of their own, which an
 * in-memory PGlite cannot share, so these call the services each `sched` command calls, with the
 * world's deps (its virtual clock). The cron endpoint is a real HTTP request.
 */

const CLI = 'cli:sim-operator';

/** A refusal ("no trigger ran for ...") is the CLI's answer, printed with exit 2: an outcome, not a fault. */
const refusalIsAnAnswer = (error: unknown) => {
  if (!isSchedError(error)) throw error;
};

async function changedExpectations(m: Model, w: World) {
  for (const night of await knownNights(w.db)) m.changedSinceMeasure.add(night);
  m.changedSinceMeasure.add(tonight(w));
}

export class Postcheck extends SimCommand {
  readonly name = 'postcheck';
  constructor(
    readonly via: 'cli' | 'http',
    readonly repair: boolean,
  ) {
    super();
  }
  async act(m: Model, w: World) {
    const runDate = tonight(w);
    if (this.repair) bump(m.requests, runDate);
    if (this.via === 'cli') {
      await postcheckStep(w.stepDeps, { runDate, triggeredBy: CLI, repair: this.repair }).catch(
        refusalIsAnAnswer,
      );
    } else {
      const query = this.repair ? '?repair=true' : '';
      const response = await fetch(`${w.baseUrl}/functions/v1/scheduler-postcheck${query}`, {
        method: 'POST',
        headers: { 'x-cron-secret': CRON_SECRET, connection: 'close' },
      });
      await response.text();
    }
    m.changedSinceMeasure.delete(runDate);
  }
  toString() {
    return `Postcheck(${this.via}${this.repair ? ', repair' : ''})`;
  }
}

/**
 * `sched manual-run` (the seed's manual-daily-run): every expected unit of tonight again, from the
 * CLI's service or the cron endpoint. A request like a rerun: it may enqueue each unit once more.
 */
export class ManualRun extends SimCommand {
  readonly name = 'manual-run';
  constructor(readonly via: 'cli' | 'http') {
    super();
  }
  async act(m: Model, w: World) {
    const runDate = tonight(w);
    bump(m.requests, runDate);
    if (this.via === 'cli') {
      await runManualDaily(w.deps, { runDate, triggeredBy: CLI }).catch(refusalIsAnAnswer);
      return;
    }
    const response = await fetch(`${w.baseUrl}/functions/v1/manual-daily-run`, {
      method: 'POST',
      headers: { 'x-cron-secret': CRON_SECRET, connection: 'close' },
    });
    await response.text();
  }
  toString() {
    return `ManualRun(${this.via})`;
  }
}

export class CliRerun extends SimCommand {
  readonly name = 'sched rerun';
  constructor(
    readonly org: number,
    readonly scope: UnitScope,
  ) {
    super();
  }
  async act(m: Model, w: World) {
    const org = await orgSlug(w, this.org);
    if (!org) return;
    const runDate = tonight(w);
    bump(m.requests, runDate);
    await rerunOrg(w.deps, { orgId: org.id, runDate, scope: this.scope, triggeredBy: CLI }).catch(
      refusalIsAnAnswer,
    );
  }
  toString() {
    return `CliRerun(org #${this.org}, ${this.scope})`;
  }
}

export class ProvidersSet extends SimCommand {
  readonly name = 'providers set';
  constructor(
    readonly provider: ProviderName,
    readonly enabled: boolean,
  ) {
    super();
  }
  async act(m: Model, w: World) {
    await changeProvider(w.deps, { name: this.provider, change: { enabled: this.enabled }, changedBy: CLI });
    await changedExpectations(m, w);
  }
  toString() {
    return `ProvidersSet(${this.provider}, ${this.enabled ? '--enable' : '--disable'})`;
  }
}

export const SNOOZES = ['provider', 'org', 'until-success', 'maintenance'] as const;

export class SnoozeAdd extends SimCommand {
  readonly name = 'snooze add';
  constructor(
    readonly kind: (typeof SNOOZES)[number],
    readonly provider: ProviderName,
    readonly org: number,
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    const org = await orgSlug(w, this.org);
    const base = { createdBy: CLI, reason: 'simulated outage' };
    if (this.kind === 'provider')
      await snoozeFromAsk(w.deps, { ...base, provider: this.provider, end: '2h' });
    if (this.kind === 'org') await snoozeFromAsk(w.deps, { ...base, org: org?.slug, end: '3h' });
    if (this.kind === 'until-success')
      await snoozeFromAsk(w.deps, { ...base, provider: this.provider, end: 'until-success' });
    if (this.kind === 'maintenance') {
      const starts = new Date(w.at.now.getTime() + 30 * 60_000).toISOString();
      await snoozeFromAsk(w.deps, { ...base, provider: this.provider, starts, end: '2h' });
    }
  }
  toString() {
    return `SnoozeAdd(${this.kind}, ${this.kind === 'org' ? `org #${this.org}` : this.provider})`;
  }
}

export class SnoozeEnd extends SimCommand {
  readonly name = 'snooze end';
  async act(_m: Model, w: World) {
    const [open] = await openSnoozes(w.db, w.at.now);
    if (open) await endSnooze(w.db, { id: open.id, endedBy: CLI, now: w.at.now });
  }
  toString() {
    return 'SnoozeEnd(oldest open)';
  }
}

/** Someone edits the data: a prompt or an org deactivated, an org's plan changed. */
export class DataChange extends SimCommand {
  readonly name = 'data change';
  constructor(
    readonly what: 'prompt' | 'org' | 'plan',
    readonly index: number,
    readonly plan: string,
  ) {
    super();
  }
  async act(m: Model, w: World) {
    if (this.what === 'prompt') {
      const row = await queryOne<{ id: string }>(
        w.db,
        sql`select id from prompts where active order by id offset ${this.index} limit 1`,
      );
      if (row) await w.db.execute(sql`update prompts set active = false where id = ${row.id}::uuid`);
    } else {
      const org = await orgSlug(w, this.index);
      if (!org) return;
      await w.db.execute(
        this.what === 'org'
          ? sql`update organizations set active = false where id = ${org.id}::uuid`
          : sql`update organizations set plan = ${this.plan} where id = ${org.id}::uuid`,
      );
    }
    await changedExpectations(m, w);
  }
  toString() {
    return this.what === 'plan'
      ? `DataChange(plan of org #${this.index} -> ${this.plan})`
      : `DataChange(${this.what} #${this.index} deactivated)`;
  }
}

export class AuditFix extends SimCommand {
  readonly name = 'audit --fix';
  async act(_m: Model, w: World) {
    await runAudit(w.deps, { runDates: await knownNights(w.db), fix: true });
  }
  toString() {
    return 'AuditFix()';
  }
}
