import type { webApi } from '@slack/bolt';
import { figuresText } from '../blocks/coverage-summary.ts';
import { actorLabel, plural } from '../blocks/format.ts';
import { repairAlreadyRunning } from '../blocks/repair-already-running.ts';
import { sentenceMessage } from '../blocks/sentence-message.ts';
import type { RepairState, SlackMessage } from '../blocks/types.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { toError } from '../errors.ts';
import { jobTaskCounts } from '../queue/live-tasks.ts';
import { describeScope, type RunScope } from '../queue/run-scope.ts';
import { measureCoverage } from '../scheduler/postcheck.ts';
import { remeasureNight } from '../scheduler/refresh-night.ts';
import { repairInProgress, repairMissing } from '../scheduler/repair.ts';
import { assertRunDateAllowed } from '../scheduler/run-date-guard.ts';
import { activeRepair, claimActiveRepair, finishActiveRepair } from '../store/scheduler-runs.ts';
import type { ReportTarget } from '../store/slack-reports.ts';
import { waitUnlessAborted } from '../time/waits.ts';
import { loadComparison, type ReportDeps, refreshReports } from './report-poster.ts';

/**
 * The Repair button's work after the ack: claim "the active repair" of the run_date in
 * PostgreSQL (so a second click, Slack's retry of the first, or a click on another instance
 * starts nothing), enqueue the missing units, then keep the report message current: "Repair
 * started by @user: N units" at once, progress at most once per interval, and the final
 * coverage (recorded as a postcheck) when none of the repair's tasks is live, or at a timeout.
 */

export interface RepairRunnerOptions {
  /** At most one message edit per this many milliseconds (default 5 s, inside Slack's limits). */
  progressIntervalMs?: number;
  /** Stop watching after this long and show the coverage reached so far (default 45 minutes). */
  timeoutMs?: number;
}

export interface RepairRequest {
  runDate: string;
  userId: string;
  /** The channel message the button was in; absent for an ephemeral message or a modal. */
  message?: ReportTarget | undefined;
  /** Answers only the clicker sees (ephemeral through the click's response_url, or a DM). */
  answer: (message: SlackMessage) => Promise<void>;
  /** Missing units of every provider unless narrowed or widened (run-scope.ts). */
  scope?: RunScope | undefined;
  /** A second "every unit" repair of the night, confirmed in the Repair options modal. */
  confirmFresh?: boolean | undefined;
}

export type RepairStart =
  | { kind: 'started'; units: number; finished: Promise<void> }
  | { kind: 'already'; by: string; startedAt: Date };

export interface RepairRunner {
  start(request: RepairRequest): Promise<RepairStart>;
  /** Stops watching (the tasks keep running; the claims are released). */
  stop(): Promise<void>;
}

type Client = Pick<webApi.WebClient, 'chat' | 'conversations'>;

export function createRepairRunner(
  deps: ReportDeps & { client: Client },
  options: RepairRunnerOptions = {},
): RepairRunner {
  const intervalMs = options.progressIntervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 45 * 60_000;
  const watching = new Set<Promise<void>>();
  const stopper = new AbortController();

  /** One sentence to the clicker only; an expired response_url must not stop the repair. */
  const tell = async (request: RepairRequest, sentence: string) => {
    try {
      await request.answer(sentenceMessage(sentence));
    } catch (error) {
      deps.logger.warn(
        { err: toError(error), runDate: request.runDate },
        'could not answer the repair clicker',
      );
    }
  };

  async function start(request: RepairRequest): Promise<RepairStart> {
    const { runDate, userId } = request;
    const triggeredBy = `slack:${userId}`;
    const startedAt = deps.clock();
    // A forged or stale button value (a night that never ran) is refused before any claim.
    await assertRunDateAllowed(deps, { runDate, purpose: 'repair' });
    const live = await repairInProgress(deps.db, runDate);
    if (live) return already(request, live.triggeredBy, live.startedAt);
    const claimId = await claimActiveRepair(deps.db, { runDate, triggeredBy, now: startedAt });
    if (claimId === undefined) {
      const holder = await activeRepair(deps.db, runDate);
      return already(
        request,
        holder?.triggered_by ?? 'someone',
        holder ? new Date(holder.started_at) : startedAt,
      );
    }

    let jobIds: string[];
    let units: number;
    try {
      const result = await repairMissing(deps, {
        runDate,
        triggeredBy,
        scope: request.scope,
        confirmFresh: request.confirmFresh,
        howToConfirm: 'tick "Run it even if this night already had fresh answers" in Repair options…',
      });
      jobIds = result.jobIds;
      units = result.tasks;
    } catch (error) {
      await finishActiveRepair(deps.db, {
        id: claimId,
        status: 'failed',
        result: { error: toError(error).message },
        now: deps.clock(),
      });
      throw error;
    }
    deps.logger.info({ runDate, userId, units, jobs: jobIds.length }, 'repair started from Slack');
    const extra = request.message ? [request.message] : [];
    let comparison: ReturnType<typeof loadComparison> | undefined;
    const state: RepairState = { userId, startedAt, units, done: 0, failed: 0 };
    // An edit that fails (Slack down, message deleted) is logged and skipped: the repair itself
    // runs on regardless, and the clicker is told directly when the report could not show it.
    // `repair` is explicit: a default parameter would turn "no repair state" (undefined) into one.
    const show = async (report: CoverageReport | undefined, repair: RepairState | undefined) => {
      try {
        comparison ??= loadComparison(deps, { runDate });
        const current = report ?? (await measureCoverage(deps, { runDate }));
        return await refreshReports(deps, {
          runDate,
          report: current,
          repair,
          comparison: await comparison,
          extra,
        });
      } catch (error) {
        comparison = undefined;
        deps.logger.warn({ err: toError(error), runDate }, 'could not edit the report during a repair');
        return [];
      }
    };

    if (units === 0) {
      await finishActiveRepair(deps.db, {
        id: claimId,
        status: 'completed',
        result: { units: 0 },
        now: deps.clock(),
      });
      await show(undefined, undefined);
      const scope = request.scope ? ` (${describeScope(request.scope)})` : '';
      await tell(request, `Nothing to repair${scope}: every such unit has succeeded or is already queued.`);
      return { kind: 'started', units, finished: Promise.resolve() };
    }
    const edited = await show(undefined, { ...state });
    // The clicker cannot see a report being edited (ephemeral status, or no report posted yet).
    if (!edited.some((t) => sameTarget(t, request.message))) {
      await tell(
        request,
        `🔧 Repair started by ${actorLabel(userId)}: ${plural(units, 'unit')}${request.scope ? ` (${describeScope(request.scope)})` : ''}. The final coverage follows here when it is done.`,
      );
    }

    const tracked = watch(claimId, jobIds, state, show, request)
      .catch(async (error: unknown) => {
        // Background work never throws into the void: log it and persist it on the claim.
        deps.logger.error({ err: toError(error), runDate }, 'repair watcher failed');
        await finishActiveRepair(deps.db, {
          id: claimId,
          status: 'failed',
          result: { error: toError(error).message },
          now: deps.clock(),
        }).catch(() => undefined);
      })
      .finally(() => watching.delete(tracked));
    watching.add(tracked);
    return { kind: 'started', units, finished: tracked };
  }

  async function already(request: RepairRequest, by: string, startedAt: Date): Promise<RepairStart> {
    await request.answer(repairAlreadyRunning({ userId: by, startedAt, timezone: deps.config.timezone }));
    return { kind: 'already', by, startedAt };
  }

  /** Polls the repair's tasks, edits the report when they moved, and ends with the final coverage. */
  async function watch(
    claimId: number,
    jobIds: string[],
    state: RepairState,
    show: (report: CoverageReport | undefined, repair: RepairState | undefined) => Promise<ReportTarget[]>,
    request: RepairRequest,
  ): Promise<void> {
    const deadline = deps.clock().getTime() + timeoutMs;
    let timedOut = false;
    while (!stopper.signal.aborted) {
      const counts = await jobTaskCounts(deps.db, request.runDate, jobIds);
      if (counts.live === 0) break;
      if (deps.clock().getTime() >= deadline) {
        timedOut = true;
        break;
      }
      if (counts.done !== state.done || counts.failed !== state.failed) {
        state.done = counts.done;
        state.failed = counts.failed;
        await show(undefined, { ...state });
      }
      await waitUnlessAborted(intervalMs, stopper.signal);
    }
    if (stopper.signal.aborted) {
      const summary = { interrupted: true, units: state.units, done: state.done };
      await finishActiveRepair(deps.db, {
        id: claimId,
        status: 'completed',
        result: summary,
        now: deps.clock(),
      });
      return;
    }

    const counts = await jobTaskCounts(deps.db, request.runDate, jobIds);
    Object.assign(state, { done: counts.done, failed: counts.failed, finishedAt: deps.clock() });
    // Recorded as the night's re-measure: history and every report show this figure.
    const report = await remeasureNight(deps, {
      runDate: request.runDate,
      triggeredBy: `slack:${request.userId}`,
    });
    // The claim ends before the last edit: whoever sees "finished" may start the next repair.
    const summary = { units: state.units, done: counts.done, failed: counts.failed, timedOut };
    await finishActiveRepair(deps.db, {
      id: claimId,
      status: 'completed',
      result: summary,
      now: deps.clock(),
    });
    const edited = await show(report, { ...state });
    if (!edited.some((t) => sameTarget(t, request.message))) {
      await tell(
        request,
        `${timedOut ? '⏱️ Stopped watching the repair (timeout)' : '✅ Repair finished'}: ${counts.done}/${state.units} units done, ${counts.failed} failed. Coverage now: ${figuresText(report)}.`,
      );
    }
    deps.logger.info(
      { runDate: request.runDate, ...summary, health: report.summary.overallHealth },
      'repair finished',
    );
  }

  return {
    start,
    async stop() {
      stopper.abort();
      await Promise.allSettled([...watching]);
    },
  };
}

const sameTarget = (a: ReportTarget, b: ReportTarget | undefined) =>
  b !== undefined && a.channel === b.channel && a.ts === b.ts;
