import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { announceTasks } from './wake-up.ts';

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
          select id, run_date from batch_tasks
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
          where t.id = e.id and t.run_date = e.run_date
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
