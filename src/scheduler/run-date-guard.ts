import type { Deps } from '../context.ts';
import { SchedError } from '../errors.ts';
import { nightPrunedAt } from '../queue/night-spans.ts';
import { nightTriggered } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { checkRunDate, needsTrigger, type RunDatePurpose } from './run-date-rules.ts';

/**
 * Refuses a run_date that checkRunDate does not allow for `purpose`, with one sentence (a usage
 * error: HTTP 400, CLI exit 2, an ephemeral reply in Slack). Reads only: call it before anything
 * is written, scheduler_runs included.
 */
export async function assertRunDateAllowed(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; purpose: RunDatePurpose },
): Promise<void> {
  const { runDate, purpose } = params;
  const verdict = checkRunDate({
    runDate,
    purpose,
    today: runDateOf(deps.clock(), deps.config.timezone),
    timezone: deps.config.timezone,
    backfillDays: deps.config.backfillDays,
    triggered: needsTrigger(purpose) ? await nightTriggered(deps.db, runDate) : false,
    prunedAt: needsTrigger(purpose) ? await nightPrunedAt(deps.db, runDate) : undefined,
  });
  if (!verdict.ok) throw new SchedError('usage', verdict.message, { refusal: verdict.refusal, runDate });
}
