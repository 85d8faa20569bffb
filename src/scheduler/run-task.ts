import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import {
  type ErrorClass,
  type ProviderAdapter,
  type ProviderAnswer,
  ProviderError,
  type ProviderName,
} from '../providers/types.ts';
import type { ClaimedTask } from '../queue/claim-tasks.ts';
import type { Completion, TaskOutcome } from '../queue/complete-task.ts';
import { clearExpiredPause, pauseProvider } from '../queue/provider-pause.ts';
import { PACING_MIN_WAIT_MS } from '../queue/rate-limit.ts';
import { releaseTask } from '../queue/release-task.ts';
import { unlessAborted, waitUnlessAborted } from '../time/waits.ts';
import { hintPauseMs } from './rate-limit-hint.ts';
import { pauseReason, retryDecision } from './retry-policy.ts';

/**
 * One claimed task: call the provider outside any transaction (with a timeout and an abort
 * signal), then apply the retry policy in one short fenced write. Never throws: every failure is
 * logged and the task is left to its lease (any worker or the reconciler requeues it).
 */

/** What metrics see of each provider call. */
export interface WorkerResultEvent {
  provider: ProviderName;
  taskId: number;
  status: 'success' | 'error';
  errorClass?: ErrorClass;
  latencyMs: number;
}

export type TaskResult = 'succeeded' | 'failed' | 'retried' | 'released' | 'lost';

export interface TaskRunner {
  deps: Pick<Deps, 'db' | 'logger' | 'clock'>;
  workerId: string;
  timeoutMs: number;
  random: () => number;
  /** Aborted when a stopping worker's grace period is over: the call is dropped, the task released. */
  shutdown: AbortSignal;
  /** Aborted when the provider is taken out of service: its calls in flight are cut (their tasks were cancelled). */
  outOfService?(provider: ProviderName): AbortSignal;
  /** Pauses this process learnt of itself, so its own next calls wait without a database read. */
  localPauses: Map<ProviderName, number>;
  /** Providers whose row still shows a pause that ran out: the next success clears it. */
  stalePauses: Set<ProviderName>;
  /** Retries a database write until it succeeds or the task's lease is over. */
  persist<T>(task: ClaimedTask, what: string, write: () => Promise<T>): Promise<T | undefined>;
  /** The fenced completion (complete-task.ts), batched with others: the job id, or undefined. */
  complete(completion: Completion): Promise<string | undefined>;
  /**
   * Closes the job, in the background, if nothing of it is live; the task counts as finished for
   * whoever follows the night once that close has run (job-closer.ts).
   */
  closeJob(jobId: string, task: ClaimedTask): void;
  /** The provider call of this task is over (answered, failed or cut): its slot may take another. */
  callEnded?(task: ClaimedTask): void;
  onResult?: (event: WorkerResultEvent) => void;
}

export async function runTask(
  runner: TaskRunner,
  params: { adapter: ProviderAdapter; task: ClaimedTask },
): Promise<TaskResult> {
  const { adapter, task } = params;
  const { deps, workerId } = runner;
  // The call's turn in its provider's pacing; a worker stopping meanwhile hands the task back.
  if (task.startInMs >= PACING_MIN_WAIT_MS && !(await waitUnlessAborted(task.startInMs, runner.shutdown))) {
    const released = await runner.persist(task, 'release', () =>
      releaseTask(deps.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId,
        delayMs: 0,
        refundAttempt: true,
      }),
    );
    return released ? 'released' : 'lost';
  }
  const pausedUntil = runner.localPauses.get(task.provider) ?? 0;
  const pausedFor = pausedUntil - deps.clock().getTime();
  if (pausedFor > 0) {
    const released = await runner.persist(task, 'release', () =>
      releaseTask(deps.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId,
        delayMs: pausedFor,
        refundAttempt: true,
      }),
    );
    return released ? 'released' : 'lost';
  }

  const started = performance.now();
  const call = await callProvider(runner, adapter, task);
  const latencyMs = Math.round(performance.now() - started);
  runner.callEnded?.(task);
  if (call.kind === 'shutdown') {
    const released = await runner.persist(task, 'release', () =>
      releaseTask(deps.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId,
        delayMs: 0,
        refundAttempt: true,
      }),
    );
    return released ? 'released' : 'lost';
  }
  const model = adapter.simulated ? 'simulated' : undefined;
  if (call.kind === 'answer') {
    runner.onResult?.({ provider: task.provider, taskId: task.id, status: 'success', latencyMs });
    const outcome: TaskOutcome = {
      status: 'success',
      model: model ?? call.answer.model,
      text: call.answer.text,
      tokensIn: call.answer.tokensIn,
      tokensOut: call.answer.tokensOut,
      latencyMs: call.answer.latencyMs || latencyMs,
    };
    const done = await finish(runner, task, outcome);
    const hinted = hintPauseMs(call.answer.rateLimit);
    if (hinted) {
      // The provider's own headers say the budget is spent: hold every worker back until it
      // resets instead of spending the next calls on 429s.
      runner.localPauses.set(task.provider, Math.max(pausedUntil, deps.clock().getTime() + hinted.ms));
      runner.stalePauses.add(task.provider);
      await runner.persist(task, 'pause provider', () =>
        pauseProvider(deps.db, { provider: task.provider, ms: hinted.ms, reason: hinted.reason }),
      );
    } else if (done && (runner.stalePauses.delete(task.provider) || task.probe)) {
      // The provider answered after its pause: the reason leaves the report, the probe is over.
      await runner.persist(task, 'clear pause', () => clearExpiredPause(deps.db, task.provider));
    }
    return done ? 'succeeded' : 'lost';
  }

  const error = call.error;
  runner.onResult?.({
    provider: task.provider,
    taskId: task.id,
    status: 'error',
    errorClass: error.errorClass,
    latencyMs,
  });
  const decision = retryDecision(
    error.errorClass,
    task.attempts,
    task.maxAttempts,
    error.retryAfterMs,
    runner.random(),
  );
  const now = deps.clock();
  deps.logger.debug(
    {
      taskId: task.id,
      provider: task.provider,
      errorClass: error.errorClass,
      attempts: task.attempts,
      decision,
    },
    'provider call failed',
  );
  if (decision.pauseProviderMs !== undefined) {
    const ms = decision.pauseProviderMs;
    runner.localPauses.set(task.provider, Math.max(pausedUntil, now.getTime() + ms));
    const reason = pauseReason(error.errorClass, error.message);
    deps.logger.warn({ provider: task.provider, pauseMs: ms, reason }, 'provider paused for every worker');
    await runner.persist(task, 'pause provider', () =>
      pauseProvider(deps.db, { provider: task.provider, ms, reason }),
    );
  }
  if (decision.action === 'retry') {
    const released = await runner.persist(task, 'release', () =>
      releaseTask(deps.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId,
        delayMs: decision.delayMs,
        refundAttempt: decision.refundAttempt,
        errorClass: error.errorClass,
        lastError: error.message,
        // A refunded attempt (a 429) was not a failed call of the provider's.
        failedAt: decision.refundAttempt ? undefined : now,
      }),
    );
    return released ? 'retried' : 'lost';
  }
  const done = await finish(runner, task, {
    status: 'error',
    model: model ?? adapter.model,
    errorClass: error.errorClass,
    message: error.message,
    latencyMs,
  });
  return done ? 'failed' : 'lost';
}

/** The fenced completion, then the job's close once it has committed. */
async function finish(runner: TaskRunner, task: ClaimedTask, outcome: TaskOutcome): Promise<boolean> {
  const { clock, logger } = runner.deps;
  const now = clock();
  const jobId = await runner.persist(task, 'complete', () =>
    runner.complete({ taskId: task.id, runDate: task.runDate, outcome, now }),
  );
  if (jobId === undefined) {
    logger.warn(
      { taskId: task.id, provider: task.provider },
      'task no longer held by this worker; result dropped',
    );
    return false;
  }
  runner.closeJob(jobId, task);
  return true;
}

type CallResult =
  | { kind: 'answer'; answer: ProviderAnswer }
  | { kind: 'error'; error: ProviderError }
  | { kind: 'shutdown' };

/**
 * The call, bounded by our own timer as well as the adapter's: an adapter that ignores its
 * signal still cannot hold a task past the timeout.
 */
async function callProvider(
  runner: TaskRunner,
  adapter: ProviderAdapter,
  task: ClaimedTask,
): Promise<CallResult> {
  // One signal for the adapter: the worker shutting down, or the call's own deadline.
  const deadline = AbortSignal.timeout(runner.timeoutMs);
  const gone = runner.outOfService?.(task.provider);
  const signal = AbortSignal.any([runner.shutdown, deadline, ...(gone ? [gone] : [])]);
  try {
    const ask = adapter.ask(task.text, {
      signal,
      timeoutMs: runner.timeoutMs,
      unit: { runDate: task.runDate, promptId: task.promptId, attempt: task.attempts, source: task.source },
    });
    // Settles at the deadline or the shutdown even if an adapter ignored its signal.
    const answer = await unlessAborted(ask, signal);
    return { kind: 'answer', answer };
  } catch (error) {
    if (runner.shutdown.aborted) return { kind: 'shutdown' };
    if (gone?.aborted) {
      // Its task was cancelled with the provider: the completion's fence drops this outcome.
      return { kind: 'error', error: new ProviderError('network', 'call cut: the provider was disabled') };
    }
    if (deadline.aborted) {
      return {
        kind: 'error',
        error: new ProviderError('timeout', `no answer within ${runner.timeoutMs} ms`),
      };
    }
    if (error instanceof ProviderError) return { kind: 'error', error };
    // The adapter contract says ProviderError only; anything else is treated as a transport failure.
    return { kind: 'error', error: new ProviderError('network', toError(error).message, { cause: error }) };
  }
}
