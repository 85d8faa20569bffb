import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/** A job's real task counts (audit and --fix compare them with its counters). */
export const jobTaskCounts = sql`cross join lateral (
  select count(*)::int as total,
         count(*) filter (where t.status = 'completed')::int as completed,
         count(*) filter (where t.status = 'failed')::int as failed
  from batch_tasks t where t.batch_job_id = j.id and t.run_date = j.run_date
) c`;
export const countsDiffer = sql`(j.total_tasks <> c.total or j.completed_tasks <> c.completed or j.failed_tasks <> c.failed)`;

/** `sched audit --fix`: job counters set from the tasks that point at them. */
export async function recomputeJobCounts(db: Db, runDate: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
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
  return row?.n ?? 0;
}
