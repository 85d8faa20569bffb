import {
  CHART_HEIGHT,
  CHART_WIDTH,
  type CoverageChartInput,
  coverageChartAltText,
  coverageChartSpec,
  coverageChartTitle,
  fromFirstRecordedNight,
} from '../blocks/coverage-chart-spec.ts';
import type { Deps } from '../context.ts';
import { listHistory } from '../scheduler/history.ts';
import { listProviderNights } from '../scheduler/provider-history.ts';
import { PNG_SCALE, renderPng } from './render-png.ts';

/**
 * The coverage chart of the last nights as a PNG, with what Slack and the CLI need around it
 * (file name, title, alt text). One place builds it for the report's thread, /sched-history
 * chart, the CLI and the console.
 */

export const CHART_NIGHTS = 30;
export const MAX_CHART_NIGHTS = 90;

export interface CoverageChart {
  png: Buffer;
  filename: string;
  title: string;
  altText: string;
  width: number;
  height: number;
  nights: number;
  /** Which shown nights retention pruned (drawn from their recorded figures); undefined if none. */
  prunedNote: string | undefined;
}

/** The chart of the `nights` nights ending today; undefined when none of them has a recorded postcheck. */
export async function coverageChart(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  options: { nights?: number } = {},
): Promise<CoverageChart | undefined> {
  const days = Math.min(Math.max(1, options.nights ?? CHART_NIGHTS), MAX_CHART_NIGHTS);
  const { nights, coverage } = await listProviderNights(deps.db, {
    days,
    now: deps.clock(),
    timezone: deps.config.timezone,
  });
  if (!coverage.some((c) => c.expectedUnits > 0)) return undefined;
  const input: CoverageChartInput = fromFirstRecordedNight({
    nights,
    coverage,
    thresholdPercent: deps.config.thresholds.promptPercent,
    timezone: deps.config.timezone,
  });
  const shown = input.nights;
  return {
    png: await renderPng(coverageChartSpec(input)),
    filename: `coverage-${shown[0]}-to-${shown.at(-1)}.png`,
    title: coverageChartTitle(shown.length),
    altText: coverageChartAltText(input),
    width: CHART_WIDTH * PNG_SCALE,
    height: CHART_HEIGHT * PNG_SCALE,
    nights: shown.length,
    prunedNote: prunedNote(await prunedNights(deps, days)),
  };
}

/** Nights of the window whose queue rows retention removed: the chart draws them from what was recorded. */
async function prunedNights(deps: Pick<Deps, 'db' | 'config' | 'clock'>, days: number): Promise<string[]> {
  const entries = await listHistory(deps.db, { days, now: deps.clock(), timezone: deps.config.timezone });
  return entries
    .filter((e) => e.detailsPrunedAt)
    .map((e) => e.runDate)
    .sort();
}

function prunedNote(dates: string[]): string | undefined {
  if (dates.length === 0) return undefined;
  const list = dates.length === 1 ? dates[0] : `${dates.slice(0, -1).join(', ')} and ${dates.at(-1)}`;
  return `The details of ${list} were removed by retention (QUEUE_RETENTION_DAYS): the chart shows the figures recorded by their postchecks.`;
}
