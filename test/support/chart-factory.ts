import type { CoverageChartInput, ProviderNightCoverage } from '../../src/blocks/coverage-chart-spec.ts';
import { addDays } from '../../src/time/business-day.ts';

/**
 * Thirty nights as the demo would record them: openai near 100 %, anthropic with one bad night,
 * gemini enabled only from the eleventh night, perplexity rate limited for a week, and one night
 * (the 20th) with no postcheck at all.
 */
export function demoChartInput(newest = '2026-04-30', nights = 30): CoverageChartInput {
  const dates = Array.from({ length: nights }, (_, i) => addDays(newest, i - nights + 1));
  const coverage: ProviderNightCoverage[] = [];
  dates.forEach((runDate, i) => {
    if (i === 19) return;
    const unit = (provider: ProviderNightCoverage['provider'], expected: number, missing: number) =>
      coverage.push({ runDate, provider, expectedUnits: expected, succeededUnits: expected - missing });
    unit('openai', 1800, (i * 7) % 5);
    unit('anthropic', 1200, i === 12 ? 180 : (i * 3) % 4);
    if (i >= 10) unit('gemini', 1200, (i * 5) % 11);
    unit('perplexity', 1800, i >= 22 && i <= 27 ? 600 + ((i * 131) % 400) : (i * 11) % 9);
  });
  return { nights: dates, coverage, thresholdPercent: 95, timezone: 'America/New_York' };
}
