import type { Deps } from '../context.ts';
import { closeJobs } from '../queue/close-jobs.ts';
import { expireLeases } from '../queue/expire-leases.ts';
import { recomputeJobCounts } from '../queue/recompute-job-counts.ts';
import { reopenJobs } from '../queue/reopen-jobs.ts';
import { failStaleRuns } from '../store/scheduler-runs.ts';
import type { AuditFix } from './types.ts';

/**
 * `sched audit --fix`: repairs only what is safe to repair, each a single statement that
 * re-checks the state it changes, so it may run next to live workers. It never deletes a
 * response, never fails a task that could still succeed, and never cancels work.
 */
export async function fixAudit(
  deps: Pick<Deps, 'db' | 'clock'>,
  params: { runDates: string[]; stepLimits: Record<string, number> },
): Promise<AuditFix[]> {
  const { db } = deps;
  const { runDates, stepLimits } = params;
  const fixes: AuditFix[] = [];
  const note = (what: string, count: number) => {
    if (count > 0) fixes.push({ what, count });
  };

  const leases = await expireLeases(db);
  note('expired leases returned to the queue', leases.requeued);
  note('expired leases failed (no attempt left)', leases.failed);
  for (const runDate of runDates) {
    note(`jobs of ${runDate} reopened (they had live tasks)`, await reopenJobs(db, runDate));
    note(`job counters of ${runDate} recomputed from their tasks`, await recomputeJobCounts(db, runDate));
  }
  const closed = await closeJobs(db, { now: deps.clock() });
  note('finished jobs closed', closed.jobsCompleted + closed.jobsCancelled);
  note('stale running scheduler_runs rows marked failed', await failStaleRuns(db, stepLimits));
  return fixes;
}
