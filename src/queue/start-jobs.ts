import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';

const ts = (instant: Date) => sql`${instant.toISOString()}::timestamptz`;

/** queued -> processing once any of its tasks has started and some are still live. */
export async function startJobs(db: Db, now: Date): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with started as (
          select j.id from batch_jobs j
          where j.status = 'queued'
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and t.run_date = j.run_date and ${isLive('t.status')})
            and exists (select 1 from batch_tasks t
                        where t.batch_job_id = j.id and t.run_date = j.run_date and (t.started_at is not null or t.status <> 'pending'))
          for update skip locked
        ),
        updated as (
          update batch_jobs j
          set status = 'processing',
              started_at = coalesce(j.started_at,
                                    (select min(t.started_at) from batch_tasks t
                                     where t.batch_job_id = j.id and t.run_date = j.run_date),
                                    ${ts(now)})
          from started s
          where j.id = s.id
          returning 1
        )
        select count(*)::int as n from updated`,
  );
  return row?.n ?? 0;
}
