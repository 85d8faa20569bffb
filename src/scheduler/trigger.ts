import type { Deps } from '../context.ts';
import type { HealthReason } from '../coverage/types.ts';
import { pingHeartbeat } from '../paging/heartbeat-ping.ts';
import { analyzeQueue } from '../queue/analyze-queue.ts';
import { ensureQueuePartitions } from '../queue/queue-partitions.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { type FanOutSummary, runRecordedFanOut } from './recorded-enqueue.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';

/**
 * The nightly trigger: snapshots every expected unit of a run_date into batch_tasks (one job per
 * org, orgs with nothing expected get none). Once per run_date whoever calls it: the scheduler,
 * `sched trigger`, the HTTP endpoint, any number of instances at once. A trigger that finds
 * nothing expected while eligible orgs have active prompts (every provider disabled) does not use
 * up the night: its row is `skipped` with the reason, it warns, and the next trigger runs again.
 */

export type TriggerResult =
  | ({ status: 'triggered'; runId: number; triggeredBy: string; at: Date } & FanOutSummary)
  | ({
      status: 'nothing_enqueued';
      runId: number;
      triggeredBy: string;
      at: Date;
      /** Why nothing could be enqueued: `no_provider_enabled` or `nothing_expected`. */
      reason: HealthReason;
    } & FanOutSummary)
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
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>,
  params: { runDate: string; triggeredBy: string; scheduled: boolean },
): Promise<TriggerResult> {
  const at = deps.clock();
  await assertRunDateAllowed(deps, { runDate: params.runDate, purpose: 'trigger' });
  await ensureQueuePartitions(deps.db, params.runDate);
  const outcome = await runRecordedFanOut(deps, {
    functionName: FUNCTION_NAMES.trigger,
    runKey: params.runDate,
    triggeredBy: params.triggeredBy,
    request: { runDate: params.runDate, source: 'nightly', scope: 'all', triggeredBy: params.triggeredBy },
    extra: { scheduled: params.scheduled },
    skipWhenNothingExpected: true,
    recordExpected: true,
  });
  if (outcome.kind === 'ran') {
    await analyzeQueue(deps.db, params.runDate).catch((error: unknown) =>
      deps.logger.warn(
        { err: error },
        "could not analyse the night's tasks after the fan-out; plans may be slow until autovacuum does",
      ),
    );
    // Only the process that ran tonight's trigger says so, once its tasks are enqueued.
    await pingHeartbeat(deps, { runDate: params.runDate, signal: 'start' });
    return {
      status: 'triggered',
      runId: outcome.runId,
      triggeredBy: params.triggeredBy,
      at,
      ...outcome.summary,
    };
  }
  if (outcome.kind === 'skipped') {
    deps.logger.warn(
      { runDate: params.runDate, runId: outcome.runId, reason: outcome.reason.code },
      `trigger enqueued nothing for ${params.runDate}: ${outcome.reason.message}; the night is not done`,
    );
    return {
      status: 'nothing_enqueued',
      runId: outcome.runId,
      triggeredBy: params.triggeredBy,
      at,
      ...outcome.summary,
      reason: outcome.reason,
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
