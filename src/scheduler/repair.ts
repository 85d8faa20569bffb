import { sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { estimateRunUsd, pricesOf } from '../coverage/night-cost.ts';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { type EnqueuePreview, previewEnqueue } from '../queue/enqueue-units.ts';
import { assertKnownProvider, DEFAULT_SCOPE, type RunScope } from '../queue/run-scope.ts';
import { FUNCTION_NAMES, nightTriggered } from '../store/scheduler-runs.ts';
import { assertFreshAnswersConfirmed } from './fresh-answers.ts';
import { type AdHocFanOutResult, runAdHocFanOut } from './recorded-enqueue.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';

/**
 * Repair: enqueue exactly the missing units of a run_date (not whole orgs) that no snooze holds,
 * or a narrower scope (failed units only, one provider: run-scope.ts). Idempotent under
 * concurrency: fan-outs of one run_date run one after the other (recorded-enqueue.ts), and the
 * one-live-task-per-unit index holds even against a trigger or rerun running at the same time.
 */

export interface RepairResult extends AdHocFanOutResult {
  /** What the enqueued units should cost, at the night's average tokens per call (cost-math.ts). */
  estimatedUsd: number;
  provider: string | undefined;
}

/** Missing (the default), failed only, or all; one provider or every one (run-scope.ts). */
export type RepairScope = RunScope;

export async function repairMissing(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: {
    runDate: string;
    triggeredBy: string;
    scope?: RepairScope | undefined;
    /** A second "every unit" repair of the night was confirmed by a person (fresh-answers.ts). */
    confirmFresh?: boolean | undefined;
    /** How the caller confirms, in its own words (the CLI's flag by default). */
    howToConfirm?: string | undefined;
  },
): Promise<RepairResult> {
  await assertRunDateAllowed(deps, { runDate: params.runDate, purpose: 'repair' });
  const scope = params.scope ?? DEFAULT_SCOPE;
  assertKnownProvider(scope.provider);
  if (scope.units === 'all') {
    await assertFreshAnswersConfirmed(deps, {
      runDate: params.runDate,
      provider: scope.provider,
      confirmed: params.confirmFresh,
      howToConfirm: params.howToConfirm ?? 'confirm it (`sched postcheck --repair --all --confirm`)',
    });
  }
  const result = await runAdHocFanOut(deps, {
    functionName: FUNCTION_NAMES.repair,
    label: scope.provider ? `repair-${scope.provider}` : 'repair',
    triggeredBy: params.triggeredBy,
    request: {
      runDate: params.runDate,
      source: 'repair',
      scope: scope.units,
      provider: scope.provider,
      skipSnoozed: true,
      triggeredBy: params.triggeredBy,
    },
    extra: scope.provider ? { provider: scope.provider } : {},
  });
  const prices = pricesOf(deps.config.providers);
  return {
    ...result,
    provider: scope.provider,
    estimatedUsd: await estimateRunUsd(deps.db, {
      runDate: params.runDate,
      byProvider: result.byProvider,
      prices,
    }),
  };
}

export interface RepairPreview extends EnqueuePreview {
  runDate: string;
  scope: RepairScope;
  /** false before the nightly trigger of that run_date: a repair would then enqueue the whole night. */
  nightlyTriggered: boolean;
  /** A repair whose tasks are still live, so a second click can say who started it. */
  inProgress: RepairInProgress | undefined;
}

/** What a repair would enqueue now: the confirm dialog shows it before anything is written. */
export async function previewRepair(
  deps: Pick<Deps, 'db' | 'clock'>,
  params: { runDate: string; scope?: RepairScope | undefined },
): Promise<RepairPreview> {
  const { runDate, scope = DEFAULT_SCOPE } = params;
  const [preview, nightly, inProgress] = await Promise.all([
    previewEnqueue(deps.db, {
      runDate,
      scope: scope.units,
      provider: scope.provider,
      skipSnoozed: true,
      now: deps.clock(),
    }),
    nightTriggered(deps.db, runDate),
    repairInProgress(deps.db, runDate),
  ]);
  return { ...preview, runDate, scope, nightlyTriggered: nightly, inProgress };
}

export interface RepairInProgress {
  triggeredBy: string;
  startedAt: Date;
  liveTasks: number;
}

/** The latest repair of a run_date that still has live tasks, or undefined. */
export async function repairInProgress(db: Db, runDate: string): Promise<RepairInProgress | undefined> {
  const row = await queryOne<{ triggered_by: string; started_at: Date; live: number }>(
    db,
    sql`select j.triggered_by, max(j.created_at) as started_at, count(*)::int as live
        from batch_jobs j
        join batch_tasks t on t.batch_job_id = j.id and t.run_date = j.run_date and ${isLive('t.status')}
        where j.run_date = ${runDate}::date and j.source = 'repair'
        group by j.triggered_by
        order by max(j.created_at) desc
        limit 1`,
  );
  if (!row) return undefined;
  return { triggeredBy: row.triggered_by, startedAt: new Date(row.started_at), liveTasks: row.live };
}
