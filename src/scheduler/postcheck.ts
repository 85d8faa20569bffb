import type { Config } from '../config.ts';
import type { Deps } from '../context.ts';
import { buildCoverageReport } from '../coverage/coverage-math.ts';
import { queryCoverage } from '../coverage/coverage-query.ts';
import { expectedFingerprint } from '../coverage/expected-fingerprint.ts';
import { nightCost, pricesOf } from '../coverage/night-cost.ts';
import { withSnoozes } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { nightPrunedAt } from '../queue/night-spans.ts';
import { adHocRunKey, FUNCTION_NAMES, recordRun } from '../store/scheduler-runs.ts';
import { activeSnoozes } from '../store/snoozes.ts';
import { providersWithoutLiveWorker } from '../store/workers.ts';
import { getNight } from './history.ts';

/**
 * What coverage is measured with: the database, the config (its zone, thresholds and the
 * providers' prices: every caller prices a night the same way) and the clock.
 */
export type CoverageDeps = Pick<Deps, 'db' | 'clock'> & {
  config: Pick<Config, 'timezone' | 'thresholds' | 'providers'>;
};

/**
 * Measures coverage for a run_date without recording anything (status displays use this).
 * `now` (default: the clock) when the caller measures other things at the same instant.
 */
export async function measureCoverage(
  deps: CoverageDeps,
  params: { runDate: string; now?: Date | undefined },
): Promise<CoverageReport> {
  const { db, config } = deps;
  const { runDate } = params;
  const now = params.now ?? deps.clock();
  // A pruned night cannot be measured again (its jobs, which say which orgs ran, are gone): its
  // last recorded figures stand.
  const prunedAt = await nightPrunedAt(db, runDate);
  const recorded = prunedAt ? await getNight(db, runDate) : undefined;
  if (prunedAt && recorded) return { ...recorded, detailsPrunedAt: prunedAt.toISOString() };
  const rows = await queryCoverage(db, runDate);
  const built = buildCoverageReport(rows, {
    runDate,
    timezone: config.timezone,
    generatedAt: now,
    thresholds: config.thresholds,
  });
  const [unserved, cost, snoozes] = await Promise.all([
    providersWithoutLiveWorker(db),
    nightCost(db, { runDate, prices: pricesOf(config.providers) }),
    activeSnoozes(db, now),
  ]);
  const report = { ...withSnoozes(built, snoozes), cost };
  return unserved.length > 0 ? { ...report, providersWithoutLiveWorker: unserved } : report;
}

export interface PostcheckResult {
  report: CoverageReport;
  runId: number | undefined;
  /** false when the scheduled postcheck of this run_date had already been recorded. */
  recorded: boolean;
}

/**
 * The postcheck: measures coverage and records it in scheduler_runs. `scheduled` uses the
 * run_date as run key (once per night however many instances fire); any other call records an
 * ad-hoc run so every postcheck stays in the history.
 */
export async function runPostcheck(
  deps: CoverageDeps,
  params: { runDate: string; triggeredBy: string; scheduled?: boolean },
): Promise<PostcheckResult> {
  const { db, clock } = deps;
  const runKey = params.scheduled ? params.runDate : adHocRunKey(params.runDate, clock(), 'manual');
  const outcome = await recordRun(db, {
    functionName: FUNCTION_NAMES.postcheck,
    runKey,
    triggeredBy: params.triggeredBy,
    now: clock,
    // The audit compares it with what the night expects later (recorded beside the figures, not in them).
    expectedUnits: () => expectedFingerprint(db, params.runDate),
    work: () => measureCoverage(deps, { runDate: params.runDate }),
  });
  if (outcome.ran) return { report: outcome.result, runId: outcome.runId, recorded: true };
  return {
    report: await measureCoverage(deps, { runDate: params.runDate }),
    runId: undefined,
    recorded: false,
  };
}
