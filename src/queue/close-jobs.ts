import { sql } from 'drizzle-orm';
import { type Db, queryPrepared, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';

const ts = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

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
          select j.id, j.run_date from batch_jobs j
          where ${only} j.status in ('queued', 'processing')
            and exists (select 1 from batch_tasks t where t.batch_job_id = j.id and t.run_date = j.run_date)
            and not exists (select 1 from batch_tasks t
                            where t.batch_job_id = j.id and t.run_date = j.run_date
                              and ${isLive('t.status')})
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
          where (t.batch_job_id, t.run_date) in (select id, run_date from closable)
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
