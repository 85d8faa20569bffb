import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';

/** `sched audit --fix`: a closed job that still has live tasks is processing again. */
export async function reopenJobs(db: Db, runDate: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with reopened as (
          update batch_jobs j set status = 'processing', completed_at = null
          where j.run_date = ${runDate}::date and j.status in ('completed', 'failed', 'cancelled')
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and t.run_date = j.run_date and ${isLive('t.status')})
          returning 1)
        select count(*)::int as n from reopened`,
  );
  return row?.n ?? 0;
}
