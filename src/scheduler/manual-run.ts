import type { Deps } from '../context.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { type AdHocFanOutResult, runAdHocFanOut } from './recorded-enqueue.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';

/**
 * The seed's `manual-daily-run`: every expected unit of every eligible org again, whatever the
 * night already did. Units with a live task are skipped, so it never doubles running work.
 */
export async function runManualDaily(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; triggeredBy: string },
): Promise<AdHocFanOutResult> {
  await assertRunDateAllowed(deps, { runDate: params.runDate, purpose: 'manual' });
  return runAdHocFanOut(deps, {
    functionName: FUNCTION_NAMES.manualRun,
    label: 'manual',
    triggeredBy: params.triggeredBy,
    request: { runDate: params.runDate, source: 'manual', scope: 'all', triggeredBy: params.triggeredBy },
  });
}
