import { sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { expectedFingerprint } from '../coverage/expected-fingerprint.ts';
import type { HealthReason } from '../coverage/types.ts';
import type { Db } from '../db/client.ts';
import { shortTransaction } from '../db/transaction.ts';
import { SchedError, toError } from '../errors.ts';
import { type EnqueueRequest, type EnqueueResult, enqueueUnits } from '../queue/enqueue-units.ts';
import {
  adHocRunKey,
  claimRun,
  type FunctionName,
  findRun,
  finishRun,
  type SchedulerRunRow,
} from '../store/scheduler-runs.ts';
import { nothingExpectedReason } from './nothing-expected.ts';

/**
 * A fan-out recorded in scheduler_runs: the claim of (function_name, run_key), the INSERT ... SELECT
 * and the finished run row commit together in one short transaction. A crash before the commit
 * leaves nothing behind (no claim, no half-enqueued day), so the catch-up check simply runs it
 * again; a second caller with the same key waits on the unique key, then sees the finished row.
 */

export type FanOutRequest = Omit<EnqueueRequest, 'now' | 'maxAttempts'>;

/** What the run row keeps: the counts, not the job ids (a night has thousands). */
export interface FanOutSummary {
  runDate: string;
  source: EnqueueRequest['source'];
  scope: EnqueueRequest['scope'];
  jobs: number;
  tasks: number;
  orgs: number;
  byProvider: Record<string, number>;
  [extra: string]: unknown;
}

export type FanOutOutcome =
  | { kind: 'ran'; runId: number; summary: FanOutSummary; jobIds: string[] }
  /** Nothing could be expected although active prompts exist: the run row is `skipped` with the reason. */
  | { kind: 'skipped'; runId: number; summary: FanOutSummary; reason: HealthReason }
  | { kind: 'already'; run: SchedulerRunRow };

interface FanOutRun {
  functionName: FunctionName;
  runKey: string;
  triggeredBy: string;
  request: FanOutRequest;
  /** Extra fields stored with the counts on the run row (e.g. scheduled: true). */
  extra?: Record<string, unknown>;
  /**
   * The nightly trigger: when it enqueues nothing because nothing is expected while active
   * prompts exist, its row is `skipped` (not `completed`), so the next trigger claims it again.
   */
  skipWhenNothingExpected?: boolean;
  /**
   * The nightly trigger: record what the night expects (per org) with the run, so the audit can
   * tell units that became expected after it from units it failed to enqueue.
   */
  recordExpected?: boolean;
}

export async function runRecordedFanOut(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  run: FanOutRun,
): Promise<FanOutOutcome> {
  try {
    return await shortTransaction(deps.db, async (tx) => {
      const { functionName, runKey, triggeredBy } = run;
      const claimed = await claimRun(tx, { functionName, runKey, triggeredBy, now: deps.clock() });
      if (!claimed) return { kind: 'already', run: await readRun(tx, { functionName, runKey }) };
      await lockRunDate(tx, run.request.runDate);
      // Read before the fan-out: a change landing between the two then reads as one after the
      // trigger (the audit notes it), never as units the trigger missed.
      const expectedUnits = run.recordExpected
        ? await expectedFingerprint(tx, run.request.runDate)
        : undefined;
      // The jobs name their run, so the run's outcome can be told when its tasks end (run-outcomes.ts).
      const result = await enqueueUnits(tx, {
        ...run.request,
        metadata: { ...run.request.metadata, runId: claimed.id },
        maxAttempts: deps.config.worker.maxAttempts,
        now: deps.clock(),
      });
      const summary = summarize(run.request, result, run.extra);
      const reason =
        run.skipWhenNothingExpected && result.tasks === 0
          ? await nothingExpectedReason(tx, run.request.runDate)
          : undefined;
      if (reason) {
        const skipped = { ...summary, reason };
        await finishRun(tx, {
          runId: claimed.id,
          outcome: { status: 'skipped', result: skipped, error: reason.message },
          now: deps.clock(),
        });
        return { kind: 'skipped', runId: claimed.id, summary, reason };
      }
      await finishRun(tx, {
        runId: claimed.id,
        outcome: { status: 'completed', result: summary },
        now: deps.clock(),
        expectedUnits,
      });
      return { kind: 'ran', runId: claimed.id, summary, jobIds: result.jobIds };
    });
  } catch (error) {
    // The transaction rolled back: persist the failure on its own run row so history and the
    // catch-up check see it (a failed row is taken over by the next claim).
    await recordFailure(deps, run, toError(error)).catch(() => undefined);
    throw error;
  }
}

export interface AdHocFanOutResult extends EnqueueResult {
  runId: number;
  runDate: string;
  source: EnqueueRequest['source'];
  scope: EnqueueRequest['scope'];
}

/** Repair, rerun and manual runs: every call is its own recorded run (a unique ad-hoc run key). */
export async function runAdHocFanOut(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  run: Omit<FanOutRun, 'runKey'> & { label: string },
): Promise<AdHocFanOutResult> {
  const runKey = adHocRunKey(run.request.runDate, deps.clock(), run.label);
  const outcome = await runRecordedFanOut(deps, { ...run, runKey });
  if (outcome.kind !== 'ran')
    throw new SchedError('conflict', 'run key collided with an earlier run; try again');
  const { runDate, source, scope, jobs, tasks, orgs, byProvider } = outcome.summary;
  return {
    runId: outcome.runId,
    runDate,
    source,
    scope,
    jobs,
    tasks,
    orgs,
    byProvider,
    jobIds: outcome.jobIds,
  };
}

/**
 * Every fan-out of one run_date (trigger, repair, rerun, manual) takes this lock for its
 * transaction, so they run one after the other: the second one sees the first one's tasks
 * and enqueues nothing twice, and concurrent ON CONFLICT inserts cannot deadlock.
 */
export async function lockRunDate(tx: Db, runDate: string): Promise<void> {
  await tx.execute(
    sql`select 1 as locked from pg_advisory_xact_lock(hashtext(${`sched-enqueue:${runDate}`}))`,
  );
}

function summarize(
  request: FanOutRequest,
  result: EnqueueResult,
  extra: Record<string, unknown> | undefined,
): FanOutSummary {
  return {
    runDate: request.runDate,
    source: request.source,
    scope: request.scope,
    jobs: result.jobs,
    tasks: result.tasks,
    orgs: result.orgs,
    byProvider: result.byProvider,
    ...(request.orgIds ? { orgIds: request.orgIds } : {}),
    ...extra,
  };
}

async function recordFailure(deps: Pick<Deps, 'db' | 'clock'>, run: FanOutRun, error: Error): Promise<void> {
  const { functionName, runKey, triggeredBy } = run;
  const claimed = await claimRun(deps.db, { functionName, runKey, triggeredBy, now: deps.clock() });
  if (claimed)
    await finishRun(deps.db, {
      runId: claimed.id,
      outcome: { status: 'failed', error: rootMessage(error) },
      now: deps.clock(),
    });
}

/** drizzle wraps a database error in "Failed query: <the whole SQL>"; the run row keeps the cause. */
export function rootMessage(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return (cause?.message ?? error.message).slice(0, 2000);
}

export async function readRun(
  db: Db,
  params: { functionName: FunctionName; runKey: string },
): Promise<SchedulerRunRow> {
  const { functionName, runKey } = params;
  const row = await findRun(db, { functionName, runKey });
  if (!row) throw new Error(`scheduler run ${functionName}/${runKey} vanished while it was read`);
  return row;
}
