import type { Deps } from '../context.ts';
import type { Db } from '../db/client.ts';
import { toError } from '../errors.ts';
import { cancelUnexpectedTasks } from '../queue/cancel-tasks.ts';
import { closeJobs } from '../queue/close-jobs.ts';
import { expireLeases } from '../queue/expire-leases.ts';
import { startJobs } from '../queue/start-jobs.ts';
import { adHocRunKey, FUNCTION_NAMES, recordRun } from '../store/scheduler-runs.ts';
import { pruneSlackRequestClaims } from '../store/slack-request-claims.ts';
import { runDateOf } from '../time/business-day.ts';
import { rootMessage } from './recorded-enqueue.ts';

/**
 * The reconciler: returns tasks whose worker died to the queue, and moves jobs along their state
 * machine. Each step is one statement of the queue (src/queue/: expire-leases.ts,
 * start-jobs.ts, close-jobs.ts) that locks its rows with SKIP LOCKED and re-checks state, so it
 * is safe at any time, from any number of instances at once, next to running workers.
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
  /** Live tasks no longer expected (prompt, org, plan or provider changed mid-night), cancelled. */
  cancelled: number;
}

/**
 * `now` stamps the jobs it starts or closes when their tasks give no time; leases are judged on
 * the database clock, whatever the caller's clock says.
 */
export async function reconcile(db: Db, now: Date): Promise<ReconcileResult> {
  const leases = await expireLeases(db);
  const unexpected = await cancelUnexpectedTasks(db);
  const cancelled = Object.values(unexpected.byRunDate).reduce((n, units) => n + units, 0);
  const jobsStarted = await startJobs(db, now);
  const closed = await closeJobs(db, { now });
  return { ...leases, jobsStarted, ...closed, cancelled };
}

/**
 * `reconcile`, recorded in scheduler_runs under an ad-hoc key (every run is kept); it also prunes
 * the Slack request claims older than a day (copies that old are refused by their signature).
 */
export async function runReconciler(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { triggeredBy?: string } = {},
): Promise<ReconcileResult & { slackClaimsPruned: number; runId: number }> {
  const now = deps.clock();
  const outcome = await recordRun(deps.db, {
    functionName: FUNCTION_NAMES.reconciler,
    runKey: adHocRunKey(runDateOf(now, deps.config.timezone), now, 'reconcile'),
    triggeredBy: params.triggeredBy ?? 'scheduler',
    now: deps.clock,
    // The run row keeps the database's own sentence, not drizzle's "Failed query: <all the SQL>".
    work: async () => {
      try {
        const result = await reconcile(deps.db, deps.clock());
        return { ...result, slackClaimsPruned: await pruneSlackRequestClaims(deps.db, deps.clock()) };
      } catch (error) {
        const err = toError(error);
        throw new Error(rootMessage(err), { cause: err });
      }
    },
  });
  if (!outcome.ran) throw new Error('reconciler run key collided; try again');
  return { ...outcome.result, runId: outcome.runId };
}
