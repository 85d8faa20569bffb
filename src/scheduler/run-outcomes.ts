import type { Db } from '../db/client.ts';
import { toError } from '../errors.ts';
import { isUnitScope } from '../queue/run-scope.ts';
import { finishedRuns } from '../store/scheduler-run-history.ts';
import { claimRunOutcome, FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { getNight } from './history.ts';
import type { RunOutcome, StepDeps } from './night-reporter.ts';

/**
 * A repair or rerun says how it ended, not only that it started: once none of its tasks is live,
 * whichever process finishes its last task (followNights) claims the run's outcome once in
 * scheduler_runs and posts it in the thread of the night's report, naming whoever asked (or to
 * them directly when no report was posted). The run's jobs carry its id (recorded-enqueue.ts).
 */

/** The night's latest recorded figure (history's getNight): read once per finished run. */
async function latestNightFigure(db: Db, runDate: string): Promise<RunOutcome['night']> {
  const night = await getNight(db, runDate);
  return night && { promptPercent: night.ratios.prompts.percent, health: night.summary.overallHealth };
}

/** Claims and announces every finished repair or rerun of the night; returns what it announced. */
export async function announceFinishedRuns(
  deps: StepDeps,
  params: { runDate: string },
): Promise<RunOutcome[]> {
  const { runDate } = params;
  const announced: RunOutcome[] = [];
  for (const row of await finishedRuns(deps.db, runDate)) {
    const counts = { units: row.units, done: row.done, failed: row.failed };
    // Two processes may finish a run's last tasks at once: one claim wins, the other posts nothing.
    if (!(await claimRunOutcome(deps.db, { runId: row.id, counts, now: deps.clock() }))) continue;
    const outcome: RunOutcome = {
      runId: row.id,
      kind: row.function_name === FUNCTION_NAMES.rerun ? 'rerun' : 'repair',
      runDate,
      triggeredBy: row.triggered_by,
      scope: {
        units: isUnitScope(row.result.scope) ? row.result.scope : 'missing',
        provider: typeof row.result.provider === 'string' ? row.result.provider : undefined,
      },
      org: typeof row.result.org === 'string' ? row.result.org : undefined,
      ...counts,
      night: await latestNightFigure(deps.db, runDate),
    };
    deps.logger.info({ ...outcome, scope: outcome.scope }, `${outcome.kind} finished`);
    try {
      await deps.reporter?.runFinished(outcome);
    } catch (error) {
      // The outcome is recorded on the run row (history, audit) even when Slack cannot take it.
      deps.logger.warn({ err: toError(error), runId: row.id }, 'could not post the outcome of a run');
    }
    announced.push(outcome);
  }
  return announced;
}
