import { describe, expect, it } from 'vitest';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  chartRows,
  coverageChartAltText,
  coverageChartSpec,
  coverageFloor,
  fromFirstRecordedNight,
} from '../../src/blocks/coverage-chart-spec.ts';
import { PNG_SCALE, renderChart, renderPng } from '../../src/chart/render-png.ts';
import { demoChartInput } from '../support/chart-factory.ts';
import { countColor, countDark, decodePng, rgbaPixels } from '../support/png.ts';

describe('coverage chart spec', () => {
  const input = demoChartInput();

  it('has one row per charted provider and night, with gaps where no figure was recorded', () => {
    const rows = chartRows(input);
    expect(new Set(rows.map((r) => r.provider))).toEqual(
      new Set(['openai', 'anthropic', 'gemini', 'perplexity']),
    );
    expect(rows).toHaveLength(4 * 30);
    const night20 = Date.parse('2026-04-20T00:00:00Z');
    expect(rows.filter((r) => r.night === night20).map((r) => r.coverage)).toEqual([null, null, null, null]);
    // Gemini was enabled on the eleventh night: no figure before it, not a fake 0 %.
    const gemini = rows.filter((r) => r.provider === 'gemini');
    expect(gemini.slice(0, 10).every((r) => r.coverage === null)).toBe(true);
    expect(gemini[10]?.coverage).toBeCloseTo(99.5, 5);
    const anthropic13 = rows.find(
      (r) => r.provider === 'anthropic' && r.night === Date.parse('2026-04-13T00:00:00Z'),
    );
    expect(anthropic13?.coverage).toBeCloseTo(85, 5);
  });

  it('leaves out a provider that had no expected unit in the window', () => {
    const rows = chartRows({
      ...input,
      coverage: input.coverage
        .filter((c) => c.provider !== 'gemini')
        .concat([{ runDate: '2026-04-30', provider: 'gemini', expectedUnits: 0, succeededUnits: 0 }]),
    });
    expect(rows.some((r) => r.provider === 'gemini')).toBe(false);
  });

  it('starts the y axis under the lowest figure and the threshold, never below 0', () => {
    expect(coverageFloor([99.2, 100], 95)).toBe(90);
    expect(coverageFloor([92.3], 95)).toBe(80);
    expect(coverageFloor([41], 95)).toBe(30);
    expect(coverageFloor([0], 95)).toBe(0);
    expect(coverageFloor([], 95)).toBe(90);
  });

  it('starts the axis at the first recorded night', () => {
    const input = demoChartInput('2026-04-30', 30);
    const lastThree = { ...input, coverage: input.coverage.filter((c) => c.runDate >= '2026-04-28') };
    expect(fromFirstRecordedNight(lastThree).nights).toEqual(['2026-04-28', '2026-04-29', '2026-04-30']);
    expect(fromFirstRecordedNight(input).nights).toHaveLength(30);
    // The night with no postcheck inside the window stays a gap.
    const fromThe15th = { ...input, coverage: input.coverage.filter((c) => c.runDate >= '2026-04-15') };
    expect(fromFirstRecordedNight(fromThe15th).nights).toContain('2026-04-20');
  });

  it('says what the chart shows in its alt text', () => {
    const text = coverageChartAltText(input);
    expect(text).toContain('Coverage per provider, last 30 nights (2026-04-01 to 2026-04-30)');
    expect(text).toMatch(
      /2026-04-30: openai \d+(\.\d)?%, anthropic \d+(\.\d)?%, gemini \d+(\.\d)?%, perplexity \d+(\.\d)?%\./,
    );
    expect(text).toMatch(/Lowest: perplexity \d+(\.\d)?% on 2026-04-2\d\./);
    expect(coverageChartAltText({ ...input, coverage: [] })).toContain('no postcheck recorded');
  });
});

describe('coverage chart rendering', () => {
  it('draws an SVG of exactly the chart size, with the title and every provider in the legend', async () => {
    const { svg } = await renderChart(coverageChartSpec(demoChartInput()));
    expect(svg).toMatch(new RegExp(`^<svg[^>]* width="${CHART_WIDTH}" height="${CHART_HEIGHT}"`));
    for (const text of [
      'Coverage per provider, last 30 nights',
      'openai',
      'anthropic',
      'gemini',
      'perplexity',
      'coverage (%)',
    ])
      expect(svg).toContain(text);
  });

  it('renders a PNG that decodes, of the expected size, with each provider drawn and text on it', async () => {
    const png = await renderPng(coverageChartSpec(demoChartInput()));
    const decoded = decodePng(png);
    expect({ width: decoded.width, height: decoded.height }).toEqual({
      width: CHART_WIDTH * PNG_SCALE,
      height: CHART_HEIGHT * PNG_SCALE,
    });
    const pixels = rgbaPixels(decoded);
    for (const color of ['#4c78a8', '#f58518', '#54a24b', '#b279a2'])
      expect(countColor(pixels, color), color).toBeGreaterThan(100);
    // Text is the only near-black ink: without a font resvg would draw none.
    expect(countDark(pixels)).toBeGreaterThan(2_000);
  });

  it('draws every provider on a first night where all four have the same figure', async () => {
    // A new database: one night recorded, every provider at 100 %. The four points used to sit
    // on one dot (the last drawn hid the others) at the right edge of a 30-night axis.
    const window = demoChartInput('2026-04-30', 30);
    const oneNight = {
      ...window,
      coverage: (['openai', 'anthropic', 'gemini', 'perplexity'] as const).map((provider) => ({
        runDate: '2026-04-30',
        provider,
        expectedUnits: 100,
        succeededUnits: 100,
      })),
    };
    const input = fromFirstRecordedNight(oneNight);
    expect(input.nights).toEqual(['2026-04-30']);
    const pixels = rgbaPixels(decodePng(await renderPng(coverageChartSpec(input))));
    // The legend alone draws each colour in a few hundred pixels at 2x: the point adds as many.
    for (const color of ['#4c78a8', '#f58518', '#54a24b', '#b279a2'])
      expect(countColor(pixels, color), color).toBeGreaterThan(
        countColor(
          rgbaPixels(decodePng(await renderPng(coverageChartSpec({ ...input, coverage: [] })))),
          color,
        ) + 150,
      );
  });

  it('rejects when the renderer cannot draw the spec', async () => {
    const broken = { mark: 'no-such-mark', data: { values: [] } } as unknown as Parameters<
      typeof renderChart
    >[0];
    await expect(renderChart(broken)).rejects.toThrow(Error);
  });
});
