import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/**
 * "The active repair" of a run_date, kept in PostgreSQL so it holds across instances: one
 * scheduler_runs row (function_name 'slack-repair', run_key = run_date) that a click claims in a
 * single statement, and that its watcher finishes when the repair's tasks are done.
 */

/** scheduler_runs row (function_name, run_key = run_date) that marks a Slack repair in progress. */
export const ACTIVE_REPAIR_FUNCTION = 'slack-repair';
/** A claim whose repair has no live task left after this long is over (its watcher died). */
const ORPHAN_GRACE_MINUTES = 2;

/**
 * One statement: takes the run_date's claim unless a live one exists. A claim ends when its
 * watcher finishes it, or when its repair has nothing live ORPHAN_GRACE_MINUTES after it began
 * (the instance watching it died), so a crash never blocks repairs for good.
 */
export async function claimActiveRepair(
  db: Db,
  runDate: string,
  triggeredBy: string,
  now: Date,
): Promise<number | undefined> {
  const row = await queryOne<{ id: number }>(
    db,
    sql`insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
        values (${ACTIVE_REPAIR_FUNCTION}, ${runDate}, 'running', ${now.toISOString()}::timestamptz, ${triggeredBy})
        on conflict (function_name, run_key) do update
          set status = 'running', started_at = excluded.started_at, triggered_by = excluded.triggered_by,
              completed_at = null, result = null, error = null
          where scheduler_runs.status <> 'running'
             or (scheduler_runs.started_at < excluded.started_at - make_interval(mins => ${ORPHAN_GRACE_MINUTES})
                 and not exists (
                   select 1 from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
                   where j.run_date = ${runDate}::date and j.source = 'repair'
                     and t.status in ('pending', 'processing')))
        returning id`,
  );
  return row === undefined ? undefined : Number(row.id);
}

export async function activeRepair(db: Db, runDate: string) {
  return queryOne<{ triggered_by: string; started_at: Date | string; status: string }>(
    db,
    sql`select triggered_by, started_at, status from scheduler_runs
        where function_name = ${ACTIVE_REPAIR_FUNCTION} and run_key = ${runDate}`,
  );
}

export async function finishActiveRepair(
  db: Db,
  id: number,
  status: 'completed' | 'failed',
  result: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await db.execute(
    sql`update scheduler_runs
        set status = ${status}, completed_at = ${now.toISOString()}::timestamptz,
            result = ${JSON.stringify(result)}::jsonb, error = ${typeof result.error === 'string' ? result.error : null}
        where id = ${id} and status = 'running'`,
  );
}

/** Where the repair's own tasks stand (not the whole night's). */
export async function repairTaskCounts(db: Db, jobIds: string[]) {
  if (jobIds.length === 0) return { live: 0, done: 0, failed: 0 };
  const row = await queryOne<{ live: number; done: number; failed: number }>(
    db,
    sql`select count(*) filter (where status in ('pending', 'processing'))::int as live,
               count(*) filter (where status in ('completed', 'failed', 'cancelled'))::int as done,
               count(*) filter (where status = 'failed')::int as failed
        from batch_tasks
        where batch_job_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(jobIds)}::jsonb))`,
  );
  return row ?? { live: 0, done: 0, failed: 0 };
}
