import { DEFAULT_PRICES } from '../config.ts';
import type { TokenPrice } from '../coverage/cost-math.ts';
import { buildCoverageReport } from '../coverage/coverage-math.ts';
import { queryCoverage } from '../coverage/coverage-query.ts';
import { nightCost, pricesOf } from '../coverage/night-cost.ts';
import { withSnoozes } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import type { Db } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';
import { adHocRunKey, FUNCTION_NAMES, recordRun } from './scheduler-runs.ts';
import { activeSnoozes } from './snoozes.ts';
import { providersWithoutLiveWorker } from './worker-heartbeat.ts';

export interface CoverageOptions {
  timezone: string;
  thresholds: { promptPercent: number; orgPercent: number };
  /** The configured prices (config.providers); the documented defaults when absent. */
  providers?: Record<ProviderName, { price: TokenPrice }>;
}

const DEFAULT_PROVIDER_PRICES = {
  openai: { price: DEFAULT_PRICES.openai },
  anthropic: { price: DEFAULT_PRICES.anthropic },
  gemini: { price: DEFAULT_PRICES.gemini },
  perplexity: { price: DEFAULT_PRICES.perplexity },
};

/** Measures coverage for a run_date without recording anything (status displays use this). */
export async function measureCoverage(
  db: Db,
  runDate: string,
  options: CoverageOptions,
  now: Date,
): Promise<CoverageReport> {
  const rows = await queryCoverage(db, runDate);
  const built = buildCoverageReport(rows, {
    runDate,
    timezone: options.timezone,
    generatedAt: now,
    thresholds: options.thresholds,
  });
  const [unserved, cost, snoozes] = await Promise.all([
    providersWithoutLiveWorker(db),
    nightCost(db, runDate, pricesOf(options.providers ?? DEFAULT_PROVIDER_PRICES)),
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
  db: Db,
  params: { runDate: string; triggeredBy: string; scheduled?: boolean },
  options: CoverageOptions,
  clock: () => Date,
): Promise<PostcheckResult> {
  const runKey = params.scheduled ? params.runDate : adHocRunKey(params.runDate, clock(), 'manual');
  const outcome = await recordRun(
    db,
    { functionName: FUNCTION_NAMES.postcheck, runKey, triggeredBy: params.triggeredBy, now: clock },
    () => measureCoverage(db, params.runDate, options, clock()),
  );
  if (outcome.ran) return { report: outcome.result, runId: outcome.runId, recorded: true };
  return {
    report: await measureCoverage(db, params.runDate, options, clock()),
    runId: undefined,
    recorded: false,
  };
}
