import { sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { type Db, queryOne } from '../db/client.ts';
import { closeJobs, expireLeases } from '../scheduler/reconciler.ts';
import { failStaleRuns } from '../scheduler/scheduler-runs.ts';
import { countsDiffer, jobTaskCounts } from './audit-queries.ts';
import type { AuditFix } from './types.ts';

/**
 * `sched audit --fix`: repairs only what is safe to repair, each a single statement that
 * re-checks the state it changes, so it may run next to live workers. It never deletes a
 * response, never fails a task that could still succeed, and never cancels work.
 */
export async function fixAudit(
  deps: Pick<Deps, 'db' | 'clock'>,
  runDates: string[],
  stepLimits: Record<string, number>,
): Promise<AuditFix[]> {
  const { db } = deps;
  const fixes: AuditFix[] = [];
  const note = (what: string, count: number) => {
    if (count > 0) fixes.push({ what, count });
  };

  const leases = await expireLeases(db);
  note('expired leases returned to the queue', leases.requeued);
  note('expired leases failed (no attempt left)', leases.failed);
  for (const runDate of runDates) {
    note(`jobs of ${runDate} reopened (they had live tasks)`, await reopenJobs(db, runDate));
    note(`job counters of ${runDate} recomputed from their tasks`, await recomputeCounts(db, runDate));
  }
  const closed = await closeJobs(db, deps.clock());
  note('finished jobs closed', closed.jobsCompleted + closed.jobsCancelled);
  note('stale running scheduler_runs rows marked failed', await failStaleRuns(db, stepLimits));
  return fixes;
}

async function count(db: Db, statement: ReturnType<typeof sql>): Promise<number> {
  const row = await queryOne<{ n: number }>(db, statement);
  return row?.n ?? 0;
}

function reopenJobs(db: Db, runDate: string): Promise<number> {
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

function recomputeCounts(db: Db, runDate: string): Promise<number> {
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
