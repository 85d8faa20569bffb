import type { Deps } from '../context.ts';
import { type FanOutSummary, runRecordedFanOut } from './recorded-enqueue.ts';
import { assertNotFuture } from './repair.ts';
import { FUNCTION_NAMES } from './scheduler-runs.ts';

/**
 * The nightly trigger: snapshots every expected unit of a run_date into batch_tasks (one job per
 * org, orgs with nothing expected get none). Once per run_date whoever calls it: the scheduler,
 * `sched trigger`, the HTTP endpoint, any number of instances at once.
 */

export type TriggerResult =
  | ({ status: 'triggered'; runId: number; triggeredBy: string; at: Date } & FanOutSummary)
  | {
      status: 'already_triggered';
      runDate: string;
      runId: number;
      /** Who triggered it first and when: "already ran at 03:00 by scheduler". */
      triggeredBy: string;
      at: Date;
      runStatus: string;
      previous: unknown;
    };

export async function runTrigger(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; triggeredBy: string; scheduled: boolean },
): Promise<TriggerResult> {
  const at = deps.clock();
  assertNotFuture(params.runDate, at, deps.config.timezone);
  const outcome = await runRecordedFanOut(deps, {
    functionName: FUNCTION_NAMES.trigger,
    runKey: params.runDate,
    triggeredBy: params.triggeredBy,
    request: { runDate: params.runDate, source: 'nightly', scope: 'all', triggeredBy: params.triggeredBy },
    extra: { scheduled: params.scheduled },
  });
  if (outcome.kind === 'ran') {
    return {
      status: 'triggered',
      runId: outcome.runId,
      triggeredBy: params.triggeredBy,
      at,
      ...outcome.summary,
    };
  }
  const { run } = outcome;
  return {
    status: 'already_triggered',
    runDate: params.runDate,
    runId: run.id,
    triggeredBy: run.triggered_by,
    at: new Date(run.started_at),
    runStatus: run.status,
    previous: run.result,
  };
}
