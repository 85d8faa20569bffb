import { param, sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';

/**
 * "The active repair" of a run_date, kept in PostgreSQL so it holds across instances: one
 * scheduler_runs row (function_name 'slack-repair', run_key = run_date) that a click claims in a
 * single statement (store/scheduler-runs.ts claimActiveRepair, read by activeRepair there), and
 * that its watcher finishes when the repair's tasks are done. Here: where the repair's tasks stand.
 */

/** Where the repair's own tasks stand (not the whole night's). */
export async function repairTaskCounts(db: Db, runDate: string, jobIds: string[]) {
  if (jobIds.length === 0) return { live: 0, done: 0, failed: 0 };
  const row = await queryOne<{ live: number; done: number; failed: number }>(
    db,
    sql`select count(*) filter (where ${isLive()})::int as live,
               count(*) filter (where status in ('completed', 'failed', 'cancelled'))::int as done,
               count(*) filter (where status = 'failed')::int as failed
        from batch_tasks
        where run_date = ${runDate}::date and batch_job_id = any(${param(jobIds)}::uuid[])`,
  );
  return row ?? { live: 0, done: 0, failed: 0 };
}
