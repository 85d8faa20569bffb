import type { TopLevelSpec } from 'vega-lite';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import type { ProviderNight } from '../scheduler/provider-history.ts';

/**
 * Pure: the vega-lite spec of the coverage chart (one line per provider, one point per night)
 * and its alt text, from the per-(night, provider) figures the postchecks recorded.
 */

export type ProviderNightCoverage = ProviderNight;

export interface CoverageChartInput {
  /** Every night of the window, oldest first: nights without figures show as gaps. */
  nights: string[];
  coverage: ProviderNightCoverage[];
  /** The health threshold on prompt coverage, drawn as a dashed reference line. */
  thresholdPercent: number;
  timezone: string;
}

/** The chart's size in CSS pixels; `autosize: fit` makes the SVG exactly this size. */
export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;

/** DejaVu first: Debian and most Linux images ship it; the rest are common elsewhere. */
export const CHART_FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/**
 * One fixed colour, point shape and size per provider, so a provider looks the same on every
 * chart. The points are hollow and of decreasing size: providers with the same figure on a night
 * (all at 100 % on a first night) show as nested outlines, never one dot hiding the others.
 */
const PROVIDER_STYLE: Record<ProviderName, { color: string; shape: string; size: number }> = {
  openai: { color: '#4c78a8', shape: 'circle', size: 520 },
  anthropic: { color: '#f58518', shape: 'square', size: 220 },
  gemini: { color: '#54a24b', shape: 'triangle-up', size: 110 },
  perplexity: { color: '#b279a2', shape: 'diamond', size: 45 },
};

export interface ChartRow {
  /** The night at 00:00 UTC in milliseconds: dates, not instants, so every axis reads in UTC. */
  night: number;
  provider: ProviderName;
  /** succeeded / expected units in percent; null where the night has no figure (a gap). */
  coverage: number | null;
}

const nightMs = (runDate: string) => Date.parse(`${runDate}T00:00:00Z`);

/**
 * The window from its first night with a recorded figure: a database three nights old gets a
 * three-night axis, not thirty nights of blank with the data squeezed against the right edge.
 */
export function fromFirstRecordedNight(input: CoverageChartInput): CoverageChartInput {
  const recorded = new Set(input.coverage.filter((c) => c.expectedUnits > 0).map((c) => c.runDate));
  const first = input.nights.findIndex((night) => recorded.has(night));
  return first <= 0 ? input : { ...input, nights: input.nights.slice(first) };
}

/** The providers that had expected units on some night of the window, in the usual order. */
export function chartedProviders(input: CoverageChartInput): ProviderName[] {
  const seen = new Set(input.coverage.filter((c) => c.expectedUnits > 0).map((c) => c.provider));
  return PROVIDER_NAMES.filter((p) => seen.has(p));
}

/** One row per charted provider and night; a provider disabled on a night has no figure there. */
export function chartRows(input: CoverageChartInput): ChartRow[] {
  const figures = new Map(
    input.coverage
      .filter((c) => c.expectedUnits > 0)
      .map((c) => [`${c.runDate}/${c.provider}`, (100 * c.succeededUnits) / c.expectedUnits]),
  );
  return chartedProviders(input).flatMap((provider) =>
    input.nights.map((runDate) => ({
      night: nightMs(runDate),
      provider,
      coverage: figures.get(`${runDate}/${provider}`) ?? null,
    })),
  );
}

/**
 * The bottom of the y axis: 10 points under the lowest of the figures and the threshold, on a
 * multiple of 10, so nights around 99 % are told apart and an outage still fits (down to 0).
 */
export function coverageFloor(values: number[], thresholdPercent: number): number {
  const lowest = Math.min(thresholdPercent, ...values);
  return Math.max(0, Math.floor((lowest - 5) / 10) * 10);
}

export function coverageChartTitle(nights: number): string {
  return `Coverage per provider, ${nights === 1 ? 'one night' : `last ${nights} nights`}`;
}

export function coverageChartSpec(input: CoverageChartInput): TopLevelSpec {
  const rows = chartRows(input);
  const providers = chartedProviders(input);
  const values = rows.map((r) => r.coverage).filter((v): v is number => v !== null);
  // A single night gets half a day either side, so its points stand in the middle of the plot.
  const half = input.nights.length === 1 ? 12 * 3_600_000 : 0;
  const first = nightMs(input.nights[0] ?? '1970-01-01') - half;
  const last = nightMs(input.nights.at(-1) ?? '1970-01-01') + half;
  const threshold = input.thresholdPercent;
  // Both layers share the y scale: each must name the domain, or the rule's default (from 0) wins.
  const y = (field: string) => ({
    field,
    type: 'quantitative' as const,
    scale: { domain: [coverageFloor(values, threshold), 100] },
    axis: { title: 'coverage (%)', tickCount: 6 },
  });
  const x = {
    field: 'night',
    type: 'temporal' as const,
    scale: { type: 'utc' as const, domain: [first, last], padding: 10 },
    // One tick a night at most: a short window would otherwise repeat a date at every few hours.
    axis: {
      title: null,
      format: '%b %-d',
      labelOverlap: true,
      grid: false,
      tickCount: { interval: 'day' as const, step: 1 },
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    padding: 12,
    title: {
      text: coverageChartTitle(input.nights.length),
      // Two short lines: vega estimates text width without a canvas, and one long line would
      // make `fit` shrink the plot to leave room for it.
      subtitle: [
        `Succeeded / expected units per night (${input.timezone})`,
        `dashed: the ${threshold}% health threshold; a gap: no postcheck recorded`,
      ],
      anchor: 'start',
      fontSize: 16,
      subtitleFontSize: 11,
      subtitleColor: '#555',
    },
    config: {
      font: CHART_FONT,
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 12 },
      view: { stroke: null },
    },
    layer: [
      {
        data: { values: [{ threshold }] },
        mark: { type: 'rule', color: '#888', strokeDash: [6, 4], strokeWidth: 1 },
        encoding: { y: y('threshold') },
      },
      {
        data: { values: rows },
        encoding: {
          x,
          y: y('coverage'),
          color: {
            field: 'provider',
            type: 'nominal',
            scale: { domain: providers, range: providers.map((p) => PROVIDER_STYLE[p].color) },
            legend: { title: null, orient: 'top', direction: 'horizontal', symbolStrokeWidth: 2 },
          },
        },
        layer: [
          // Nulls break the line: a night without a postcheck is a gap, never a bridge.
          { mark: { type: 'line', strokeWidth: 2, invalid: 'break-paths-show-domains' } },
          {
            mark: { type: 'point', filled: false, strokeWidth: 2.5, opacity: 1 },
            encoding: {
              shape: {
                field: 'provider',
                type: 'nominal',
                scale: { domain: providers, range: providers.map((p) => PROVIDER_STYLE[p].shape) },
              },
              size: {
                field: 'provider',
                type: 'nominal',
                scale: { domain: providers, range: providers.map((p) => PROVIDER_STYLE[p].size) },
                legend: null,
              },
            },
          },
        ],
      },
    ],
  };
}

const percentText = (value: number) => `${Math.round(value * 10) / 10}%`;

/** What the chart shows, in words: Slack's alt text for screen readers and the CLI's summary. */
export function coverageChartAltText(input: CoverageChartInput): string {
  const title = coverageChartTitle(input.nights.length);
  const range = `${input.nights[0] ?? ''} to ${input.nights.at(-1) ?? ''}`;
  const figures = input.coverage.filter((c) => c.expectedUnits > 0);
  const lastNight = figures
    .map((c) => c.runDate)
    .sort()
    .at(-1);
  if (lastNight === undefined) return `${title} (${range}): no postcheck recorded.`;
  const percent = (c: ProviderNightCoverage) => (100 * c.succeededUnits) / c.expectedUnits;
  const latest = chartedProviders(input)
    .map((p) => figures.find((c) => c.runDate === lastNight && c.provider === p))
    .filter((c): c is ProviderNightCoverage => c !== undefined)
    .map((c) => `${c.provider} ${percentText(percent(c))}`);
  const lowest = [...figures].sort(
    (a, b) => percent(a) - percent(b) || a.runDate.localeCompare(b.runDate),
  )[0];
  const low = lowest
    ? ` Lowest: ${lowest.provider} ${percentText(percent(lowest))} on ${lowest.runDate}.`
    : '';
  return `${title} (${range}), line chart of succeeded / expected units. ${lastNight}: ${latest.join(', ')}.${low}`;
}
