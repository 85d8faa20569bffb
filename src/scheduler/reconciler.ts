import { sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { type Db, queryOne, queryPrepared, queryRows } from '../db/client.ts';
import { toError } from '../errors.ts';
import { announceTasks } from '../queue/wake-up.ts';
import { runDateOf } from '../time/business-day.ts';
import { rootMessage } from './recorded-enqueue.ts';
import { adHocRunKey, FUNCTION_NAMES, recordRun } from './scheduler-runs.ts';

/**
 * The reconciler: returns tasks whose worker died to the queue, and moves jobs along their state
 * machine (DESIGN §4). Each step is one statement that locks its rows with SKIP LOCKED and
 * re-checks state, so it is safe at any time, from any number of instances at once, next to
 * running workers.
 */

export interface ReconcileResult {
  /** Expired leases back to pending, available now. */
  requeued: number;
  /** Expired leases whose attempts were used up. */
  failed: number;
  /** Queued jobs whose first task started. */
  jobsStarted: number;
  /** Jobs with no live task left, closed with counts recomputed from their tasks. */
  jobsCompleted: number;
  /** Jobs whose every task was cancelled. */
  jobsCancelled: number;
}

/**
 * `now` stamps the jobs it starts or closes when their tasks give no time; leases are judged on
 * the database clock, whatever the caller's clock says.
 */
export async function reconcile(db: Db, now: Date): Promise<ReconcileResult> {
  const leases = await expireLeases(db);
  const jobsStarted = await startJobs(db, now);
  const closed = await closeJobs(db, { now });
  return { ...leases, jobsStarted, ...closed };
}

/** `reconcile`, recorded in scheduler_runs under an ad-hoc key (every run is kept). */
export async function runReconciler(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { triggeredBy?: string } = {},
): Promise<ReconcileResult & { runId: number }> {
  const now = deps.clock();
  const outcome = await recordRun(deps.db, {
    functionName: FUNCTION_NAMES.reconciler,
    runKey: adHocRunKey(runDateOf(now, deps.config.timezone), now, 'reconcile'),
    triggeredBy: params.triggeredBy ?? 'scheduler',
    now: deps.clock,
    // The run row keeps the database's own sentence, not drizzle's "Failed query: <all the SQL>".
    work: () =>
      reconcile(deps.db, deps.clock()).catch((error: unknown) => {
        const err = toError(error);
        throw new Error(rootMessage(err), { cause: err });
      }),
  });
  if (!outcome.ran) throw new Error('reconciler run key collided; try again');
  return { ...outcome.result, runId: outcome.runId };
}

const ts = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/**
 * A worker's lease ran out (crash, SIGKILL, lost network): the task goes back to pending, or to
 * failed when its attempts are spent (the worker counts an attempt when it claims). A worker that
 * comes back late cannot complete it: completion is fenced on status and locked_by.
 *
 * Judged on the database clock (`now()`), the clock the claim wrote the lease on: a machine
 * whose clock runs minutes ahead cannot take a healthy task from its worker. Every worker runs
 * this too (worker.ts), so a deployment of workers alone recovers a dead worker's tasks. Tasks
 * requeued are announced in the same statement: sleeping workers wake when it commits.
 */
export async function expireLeases(db: Db): Promise<{ requeued: number; failed: number }> {
  const row = await queryOne<{ requeued: number; failed: number }>(
    db,
    sql`with expired as (
          select id from batch_tasks
          where status = 'processing' and lease_expires_at < now()
          for update skip locked
        ),
        changed as (
          update batch_tasks t
          set status = case when t.attempts >= t.max_attempts then 'failed' else 'pending' end,
              available_at = now(),
              completed_at = case when t.attempts >= t.max_attempts then now() else null end,
              error_class = 'timeout',
              last_error = 'lease expired: worker ' || coalesce(t.locked_by, 'unknown') ||
                ' stopped responding on attempt ' || t.attempts || ' of ' || t.max_attempts ||
                case when t.attempts >= t.max_attempts then ', no attempt left' else ', requeued' end,
              locked_by = null,
              lease_expires_at = null
          from expired e
          where t.id = e.id
          returning t.batch_job_id, t.status
        ),
        failures as (
          select batch_job_id, count(*)::int as n from changed where status = 'failed' group by batch_job_id
        ),
        -- Jobs locked in primary-key order, as completions lock them (complete-task.ts): no deadlock.
        job_failures as (
          update batch_jobs j set failed_tasks = j.failed_tasks + (select f.n from failures f where f.batch_job_id = j.id)
          where j.id = any(array(select batch_job_id from failures))
          returning j.id
        ),
        announced as (
          select ${announceTasks()} from (select 1 from changed where status = 'pending' limit 1) requeued
        )
        select count(*) filter (where status = 'pending')::int as requeued,
               count(*) filter (where status = 'failed')::int as failed,
               -- a plain CTE runs only when read: this reads it
               (select count(*) from announced) as announced
        from changed`,
  );
  return { requeued: row?.requeued ?? 0, failed: row?.failed ?? 0 };
}

/** queued -> processing once any of its tasks has started and some are still live. */
async function startJobs(db: Db, now: Date): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with started as (
          select j.id from batch_jobs j
          where j.status = 'queued'
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and t.status in ('pending', 'processing'))
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and (t.started_at is not null or t.status <> 'pending'))
          for update skip locked
        ),
        updated as (
          update batch_jobs j
          set status = 'processing',
              started_at = coalesce(j.started_at,
                                    (select min(t.started_at) from batch_tasks t where t.batch_job_id = j.id),
                                    ${ts(now)})
          from started s
          where j.id = s.id
          returning 1
        )
        select count(*)::int as n from updated`,
  );
  return row?.n ?? 0;
}

/**
 * A job with no live task is done: completed (failed tasks allowed, counted), or cancelled when
 * every task was cancelled. Counts are recomputed from the tasks, so the closed job is exact
 * whatever happened to the running counters. `jobIds`: only these (a worker closing the jobs of
 * the tasks it just finished; a job still busy costs one probe of the live-task index).
 */
export async function closeJobs(
  db: Db,
  params: { now: Date; jobIds?: readonly string[] | undefined },
): Promise<{ jobsCompleted: number; jobsCancelled: number }> {
  const { now, jobIds } = params;
  if (jobIds?.length === 0) return { jobsCompleted: 0, jobsCancelled: 0 };
  const only = jobIds ? sql`j.id = any(${sql.param([...jobIds])}::uuid[]) and` : sql``;
  const query = sql`with closable as (
          select j.id from batch_jobs j
          where ${only} j.status in ('queued', 'processing')
            and exists (select 1 from batch_tasks t where t.batch_job_id = j.id)
            and not exists (select 1 from batch_tasks t
                            where t.batch_job_id = j.id and t.status in ('pending', 'processing'))
          for update skip locked
        ),
        counts as (
          select t.batch_job_id,
                 count(*)::int as total,
                 count(*) filter (where t.status = 'completed')::int as completed,
                 count(*) filter (where t.status = 'failed')::int as failed,
                 count(*) filter (where t.status = 'cancelled')::int as cancelled,
                 min(t.started_at) as first_start,
                 max(t.completed_at) as last_done
          from batch_tasks t
          where t.batch_job_id in (select id from closable)
          group by t.batch_job_id
        ),
        closed as (
          update batch_jobs j
          set status = case when c.cancelled = c.total then 'cancelled' else 'completed' end,
              total_tasks = c.total,
              completed_tasks = c.completed,
              failed_tasks = c.failed,
              started_at = coalesce(j.started_at, c.first_start, ${ts(now)}),
              completed_at = coalesce(c.last_done, ${ts(now)})
          from counts c
          -- The ids again as an index condition: the jobs are reached by primary key, never by
          -- a scan of every job of every night, whatever the statistics say.
          where j.id = c.batch_job_id and j.id = any(array(select batch_job_id from counts))
          returning j.status
        )
        select count(*) filter (where status = 'completed')::int as completed,
               count(*) filter (where status = 'cancelled')::int as cancelled
        from closed`;
  type Row = { completed: number; cancelled: number };
  // By ids, workers run it after every batch of completions: a prepared statement.
  const [row] = jobIds
    ? await queryPrepared<Row>(db, 'sched_close_jobs', query)
    : await queryRows<Row>(db, query);
  return { jobsCompleted: row?.completed ?? 0, jobsCancelled: row?.cancelled ?? 0 };
}

/** A job's real task counts (audit and --fix compare them with its counters). */
export const jobTaskCounts = sql`cross join lateral (
  select count(*)::int as total,
         count(*) filter (where t.status = 'completed')::int as completed,
         count(*) filter (where t.status = 'failed')::int as failed
  from batch_tasks t where t.batch_job_id = j.id
) c`;
export const countsDiffer = sql`(j.total_tasks <> c.total or j.completed_tasks <> c.completed or j.failed_tasks <> c.failed)`;

async function count(db: Db, statement: ReturnType<typeof sql>): Promise<number> {
  const row = await queryOne<{ n: number }>(db, statement);
  return row?.n ?? 0;
}

/** `sched audit --fix`: a closed job that still has live tasks is processing again. */
export function reopenJobs(db: Db, runDate: string): Promise<number> {
  return count(
    db,
    sql`with reopened as (
          update batch_jobs j set status = 'processing', completed_at = null
          where j.run_date = ${runDate}::date and j.status in ('completed', 'failed', 'cancelled')
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and t.status in ('pending', 'processing'))
          returning 1)
        select count(*)::int as n from reopened`,
  );
}

/** `sched audit --fix`: job counters set from the tasks that point at them. */
export function recomputeJobCounts(db: Db, runDate: string): Promise<number> {
  return count(
    db,
    sql`with real as (
          select j.id, c.total, c.completed, c.failed
          from batch_jobs j
          ${jobTaskCounts}
          where j.run_date = ${runDate}::date and ${countsDiffer}
        ),
        updated as (
          update batch_jobs j set total_tasks = r.total, completed_tasks = r.completed, failed_tasks = r.failed
          from real r where j.id = r.id
          returning 1)
        select count(*)::int as n from updated`,
  );
}
