import { randomUUID } from 'node:crypto';
import { param, sql } from 'drizzle-orm';
import { expectedUnitsCte } from '../coverage/coverage-query.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { shortTransaction } from '../db/transaction.ts';
import type { UnitScope } from './run-scope.ts';
import { snoozedUnit } from './snooze-holds.ts';
import { notifyTasks } from './wake-up.ts';

/**
 * The one fan-out used by the trigger, repair, rerun and manual runs: a set-based
 * INSERT ... SELECT of expected units into batch_tasks, one batch_jobs row per org.
 * The partial unique index (one live task per unit) makes it idempotent under concurrency:
 * ten simultaneous repairs leave one set of live tasks.
 */

export type JobSource = 'nightly' | 'repair' | 'rerun' | 'manual';

export interface EnqueueRequest {
  runDate: string;
  source: JobSource;
  triggeredBy: string;
  /** missing: units without a success on run_date; failed: those whose try ended in a final failure; all: every expected unit (run-scope.ts). */
  scope: UnitScope;
  /** Restrict to these orgs (rerun); all eligible orgs when absent. */
  orgIds?: string[];
  /** Restrict to this provider's units; every enabled provider when absent. */
  provider?: string | undefined;
  /** Leave out the units a snooze in force holds (Repair): they are reported apart, not re-run. */
  skipSnoozed?: boolean;
  maxAttempts: number;
  now: Date;
  metadata?: Record<string, unknown>;
}

export interface EnqueueResult {
  jobs: number;
  tasks: number;
  orgs: number;
  byProvider: Record<string, number>;
  jobIds: string[];
}

type CandidateRequest = Pick<EnqueueRequest, 'runDate' | 'scope' | 'orgIds' | 'provider' | 'skipSnoozed'> & {
  now?: Date;
};

/**
 * The candidate units of a request: expected and in scope. `excludeLive` also drops units that
 * already have a live task (the preview); the insert leaves that to ON CONFLICT DO NOTHING on the
 * partial unique index instead, because an anti-join against batch_tasks evaluated while the same
 * statement inserts into batch_tasks walks every new index entry for each unit (quadratic).
 */
function candidateUnits(request: CandidateRequest, excludeLive: boolean) {
  const orgFilter = request.orgIds ? sql`and u.org_id = any(${param(request.orgIds)}::uuid[])` : sql``;
  const providerFilter = request.provider ? sql`and u.provider = ${request.provider}` : sql``;
  // failed: no success, and a try on the night ended in a final failure (a unit never tried, or
  // one still live, is not "failed").
  // Probes are scalar subqueries with LIMIT 1, never EXISTS: see `succeeded` in coverage-query.ts.
  const failedFilter = sql`and not u.ok and (
    select true from batch_tasks f
    where f.run_date = ${request.runDate}::date and f.prompt_id = u.prompt_id and f.provider = u.provider
      and f.status = 'failed' limit 1) is not null`;
  const scopeFilter =
    request.scope === 'missing' ? sql`and not u.ok` : request.scope === 'failed' ? failedFilter : sql``;
  const at = request.now ? sql`${request.now.toISOString()}::timestamptz` : sql`now()`;
  const snoozeFilter = request.skipSnoozed
    ? sql`and not ${snoozedUnit(sql`u.org_id`, sql`u.provider`, at)}`
    : sql``;
  const liveFilter = sql`and (
    select true from batch_tasks t
    where t.run_date = ${request.runDate}::date and t.prompt_id = u.prompt_id
      and t.provider = u.provider and ${isLive('t.status')} limit 1) is null`;
  return sql`
    with ${expectedUnitsCte(request.runDate)},
    candidates as (
      select u.org_id, u.prompt_id, u.provider
      from unit_ok u
      where true ${excludeLive ? liveFilter : sql``} ${scopeFilter} ${orgFilter} ${providerFilter} ${snoozeFilter}
    )`;
}

export interface EnqueuePreview {
  units: number;
  orgs: number;
  byProvider: Record<string, number>;
}

/** The preview's statement; test/integration/unit-probes.test.ts reads its plan. */
export const previewQuery = (request: CandidateRequest) =>
  sql`${candidateUnits(request, true)}
      select provider, count(*)::int as units, count(distinct org_id)::int as orgs
      from candidates group by rollup (provider) order by provider nulls last`;

/** What a request would enqueue right now, without writing: the repair confirm dialog shows it. */
export async function previewEnqueue(db: Db, request: CandidateRequest): Promise<EnqueuePreview> {
  const rows = await queryRows<{ provider: string; units: number; orgs: number }>(db, previewQuery(request));
  const byProvider: Record<string, number> = {};
  let total = { units: 0, orgs: 0 };
  for (const row of rows) {
    if (row.provider === null) total = { units: row.units, orgs: row.orgs };
    else byProvider[row.provider] = row.units;
  }
  return { ...total, byProvider };
}

export async function enqueueUnits(db: Db, request: EnqueueRequest): Promise<EnqueueResult> {
  return shortTransaction(db, async (tx) => {
    // Each org's job id is derived from a per-request nonce, so tasks carry their job id without
    // joining back to the inserted jobs: that join is estimated at one row and became a nested
    // loop of units x orgs (152 M comparisons for a 117 k-unit night).
    const nonce = randomUUID();
    // Every unit again (not the night's first fan-out) asks for fresh answers: their second
    // successes are by design, and the audit reads this flag.
    const fresh = request.scope === 'all' && request.source !== 'nightly';
    const metadata = { ...request.metadata, ...(fresh ? { freshAnswers: true } : {}) };
    // With nothing of the night live (the nightly trigger, a repair after the night) no row can
    // meet the one-live-task index, and the plain insert spares ON CONFLICT's speculative check
    // per row. Fan-outs of a night run one at a time (lockRunDate, recorded-enqueue.ts), so no
    // live task can appear meanwhile; the index still refuses one if anything else inserted it.
    const live = await queryOne<{ live: boolean }>(
      tx,
      sql`select exists (select 1 from batch_tasks
                         where run_date = ${request.runDate}::date and ${isLive()}) as live`,
    );
    const skipLive = live?.live
      ? sql`on conflict (run_date, prompt_id, provider) where ${isLive()} do nothing`
      : sql``;
    const inserted = await queryRows<{ batch_job_id: string; provider: string; n: number }>(
      tx,
      sql`${candidateUnits(request, false)},
          keyed as (
            select c.*, md5(${nonce} || c.org_id::text)::uuid as job_id from candidates c
          ),
          new_jobs as (
            insert into batch_jobs (id, org_id, run_date, source, status, total_tasks, triggered_by, created_at, metadata)
            select job_id, org_id, ${request.runDate}::date, ${request.source}, 'queued', 0, ${request.triggeredBy},
                   ${request.now.toISOString()}::timestamptz, ${JSON.stringify(metadata)}::jsonb
            from keyed group by job_id, org_id
            returning id
          ),
          inserted as (
            insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, max_attempts,
                                     available_at, created_at)
            select k.job_id, k.org_id, k.prompt_id, k.provider, ${request.runDate}::date, 'pending',
                   ${request.maxAttempts}::int, ${request.now.toISOString()}::timestamptz,
                   ${request.now.toISOString()}::timestamptz
            from keyed k
            ${skipLive}
            returning batch_job_id, provider
          )
          select batch_job_id, provider, count(*)::int as n from inserted group by batch_job_id, provider`,
    );
    // A concurrent request may have won some units: totals count what this one really inserted,
    // and a job left with no task is removed so it never reads as a completed org.
    const counts = new Map<string, number>();
    const byProvider: Record<string, number> = {};
    let tasks = 0;
    for (const row of inserted) {
      counts.set(row.batch_job_id, (counts.get(row.batch_job_id) ?? 0) + row.n);
      byProvider[row.provider] = (byProvider[row.provider] ?? 0) + row.n;
      tasks += row.n;
    }
    const jobIds = [...counts.keys()];
    await tx.execute(
      sql`update batch_jobs j set total_tasks = c.n::int
          from unnest(${param([...counts.keys()])}::uuid[], ${param([...counts.values()])}::int[]) as c(id, n)
          where j.id = c.id::uuid`,
    );
    await tx.execute(
      sql`delete from batch_jobs j
            where j.run_date = ${request.runDate}::date and j.total_tasks = 0 and j.status = 'queued'
              and j.created_at = ${request.now.toISOString()}::timestamptz and j.triggered_by = ${request.triggeredBy}
              and not exists (select 1 from batch_tasks t where t.batch_job_id = j.id and t.run_date = j.run_date)`,
    );
    // Sleeping workers wake when this commits (a rollback sends nothing).
    if (tasks > 0) await notifyTasks(tx);
    return { jobs: jobIds.length, tasks, orgs: jobIds.length, byProvider, jobIds };
  });
}
