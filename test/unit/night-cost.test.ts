import { describe, expect, it } from 'vitest';
import { costLines, formatTokens, formatUsd } from '../../src/blocks/cost-lines.ts';
import { historyMessage } from '../../src/blocks/history-message.ts';
import { homeView } from '../../src/blocks/home-view.ts';
import { repairConfirmText } from '../../src/blocks/repair-confirm.ts';
import { reportMessage } from '../../src/blocks/report-message.ts';
import { rerunCostText, rerunModal } from '../../src/blocks/rerun-modal.ts';
import { rerunResultMessage } from '../../src/blocks/rerun-result-message.ts';
import { statusMessage } from '../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../src/blocks/text-report.ts';
import { DEFAULT_PRICES, loadConfig } from '../../src/config.ts';
import {
  DEFAULT_TOKENS_PER_CALL,
  estimateUsd,
  priceNight,
  usdPerCall,
} from '../../src/coverage/cost-math.ts';
import { checkBlockKitLimits } from '../support/block-kit-limits.ts';
import { makeReport } from '../support/report-factory.ts';
import { visibleText } from '../support/view-inspect.ts';

const now = new Date('2026-03-08T09:00:00Z');

/** 2,000 openai calls of 100 in / 400 out and 500 perplexity calls of 200 in / 300 out. */
const night = priceNight(
  [
    { provider: 'openai', calls: 2_000, tokensIn: 200_000, tokensOut: 800_000 },
    { provider: 'perplexity', calls: 500, tokensIn: 100_000, tokensOut: 150_000 },
  ],
  DEFAULT_PRICES,
);

describe('what a night costs', () => {
  it('prices each provider at USD per million tokens in and out', () => {
    const openai = night.providers.find((p) => p.provider === 'openai');
    // 0.2M x 0.15 + 0.8M x 0.60 = 0.03 + 0.48
    expect(openai?.usd).toBeCloseTo(0.51, 10);
    // 0.1M x 1 + 0.15M x 1
    expect(night.providers.find((p) => p.provider === 'perplexity')?.usd).toBeCloseTo(0.25, 10);
    expect(night.usd).toBeCloseTo(0.76, 10);
    expect(night.calls).toBe(2_500);
    expect(night.providers.find((p) => p.provider === 'gemini')).toMatchObject({ calls: 0, usd: 0 });
  });

  it('estimates units at the night average per call, and at the documented default without calls', () => {
    // openai: 100 in / 400 out per call; anthropic made no call: 150 in / 500 out at 1 / 5.
    const perOpenAi = (100 * 0.15 + 400 * 0.6) / 1e6;
    const perAnthropic = (DEFAULT_TOKENS_PER_CALL.in * 1 + DEFAULT_TOKENS_PER_CALL.out * 5) / 1e6;
    expect(
      usdPerCall(
        night.providers.find((p) => p.provider === 'openai') ??
          night.providers[1] ??
          night.providers.at(0) ??
          ({} as never),
      ),
    ).toBeCloseTo(perOpenAi, 12);
    expect(estimateUsd({ openai: 1000, anthropic: 10, nosuch: 5 }, night)).toBeCloseTo(
      1000 * perOpenAi + 10 * perAnthropic,
      12,
    );
  });

  it('formats dollars and tokens without lying about small amounts', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.001)).toBe('<$0.01');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatTokens(950)).toBe('950');
    expect(formatTokens(12_345)).toBe('12.3k');
    expect(formatTokens(800_000)).toBe('800k');
    expect(formatTokens(4_560_000)).toBe('4.56M');
    expect(costLines(night)).toEqual([
      "💵 *Night's cost*: 2,500 calls · 300k tokens in / 950k out · $0.76",
      '• openai: 2,000 calls · 200k tokens in / 800k out · $0.51',
      '• perplexity: 500 calls · 100k tokens in / 150k out · $0.25',
    ]);
    expect(costLines(priceNight([], DEFAULT_PRICES))).toEqual([]);
  });

  it('shows the cost in the report, /sched-status, App Home and the CLI text', () => {
    const report = { ...makeReport(), cost: night };
    const expected = "💵 *Night's cost*: 2,500 calls";
    expect(visibleText(reportMessage({ report, now }))).toContain(expected);
    expect(visibleText(statusMessage({ report, now }))).toContain(expected);
    const home = homeView({ today: { runDate: report.runDate, report }, nights: [], now });
    expect(JSON.stringify(home)).toContain(expected);
    expect(formatCoverageReport(report)).toContain('Cost: 2,500 calls · 300k tokens in / 950k out · $0.76');
    for (const view of [reportMessage({ report, now }), statusMessage({ report, now })])
      expect(checkBlockKitLimits(view, 'message')).toEqual([]);
  });

  it('lists the providers by name, as the Providers section does (the coverage query orders by name)', () => {
    const all = {
      ...night,
      providers: night.providers.map((p) => ({ ...p, calls: p.calls || 1 })),
    };
    expect(
      costLines(all)
        .slice(1)
        .map((line) => line.split(':')[0]?.slice(2)),
    ).toEqual(['anthropic', 'gemini', 'openai', 'perplexity']);
  });

  it('shows each night’s cost in history', () => {
    const entry = {
      runDate: '2026-03-08',
      health: 'HEALTHY' as const,
      promptCoverage: null,
      orgCoverage: null,
      latest: null,
      scheduled: null,
      repairs: { count: 0, by: [] },
      reruns: { count: 0, by: [] },
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      cost: night,
    };
    const view = historyMessage({ entries: [entry], page: 0, pageSize: 10, totalDays: 1 });
    expect(visibleText(view)).toContain('💵 $0.76 (2,500 calls)');
  });

  it('puts the estimated cost in every repair and rerun preview', () => {
    const report = { ...makeReport(), cost: night };
    const confirm = JSON.stringify(reportMessage({ report, now }));
    expect(confirm).toMatch(/Estimated cost ≈ (\$\d+\.\d\d|<\$0\.01)/);
    expect(
      repairConfirmText({ units: 1000, orgs: 3, byProvider: { openai: 1000 }, estimatedUsd: 0.255 }),
    ).toBe('Re-run 1,000 missing units in 3 orgs?\nopenai 1,000\nEstimated cost ≈ $0.26');
    const result = rerunResultMessage({
      outcome: {
        org: { name: 'Acme' },
        runDate: '2026-03-08',
        scope: 'missing',
        tasks: 4,
        byProvider: { openai: 4 },
        estimatedUsd: 1.5,
      },
      userId: 'U1',
    });
    expect(result.text).toContain('missing units, estimated cost ≈ $1.50.');
    const perThousand = [{ provider: 'openai', usd: 0.255 }];
    expect(rerunCostText({ perThousandUnits: perThousand })).toBe(
      "💵 Estimated cost per 1,000 units, at tonight's average tokens per call: openai $0.26",
    );
    const estimates = {
      missing: { units: 3, usd: 0.001, byProvider: [{ provider: 'openai', units: 3, usd: 0.001 }] },
      failed: { units: 0, usd: 0, byProvider: [] },
      all: {
        units: 40,
        usd: 2,
        byProvider: [
          { provider: 'openai', units: 30, usd: 1.5 },
          { provider: 'gemini', units: 10, usd: 0.5 },
        ],
      },
    };
    const modal = rerunModal({ runDate: '2026-03-08', cost: { perThousandUnits: perThousand, estimates } });
    expect(rerunCostText({ perThousandUnits: perThousand, estimates })).toBe(
      [
        '💵 What each choice would run:',
        '*Missing prompts only*: 3 units, estimated cost ≈ <$0.01 (openai 3 ≈ <$0.01)',
        '*Failed prompts only*: nothing to run',
        '*All prompts*: 40 units, estimated cost ≈ $2.00 (openai 30 ≈ $1.50 · gemini 10 ≈ $0.50)',
      ].join('\n'),
    );
    expect(JSON.stringify(modal)).toContain('*All prompts*: 40 units, estimated cost ≈ $2.00');
  });
});

describe('prices in the configuration', () => {
  it('defaults to the default models’ list prices and reads decimals per provider', () => {
    const config = loadConfig({ OPENAI_PRICE_IN: '2.5', OPENAI_PRICE_OUT: '10', GEMINI_PRICE_IN: '0' });
    expect(config.providers.openai.price).toEqual({ in: 2.5, out: 10 });
    expect(config.providers.gemini.price).toEqual({ in: 0, out: DEFAULT_PRICES.gemini.out });
    expect(config.providers.anthropic.price).toEqual({ in: 1, out: 5 });
  });

  it('refuses a negative, non-decimal or unit-suffixed price, naming the variable', () => {
    for (const bad of ['-1', '$3', '1e3', 'free', '0.15/M']) {
      expect(() => loadConfig({ ANTHROPIC_PRICE_OUT: bad })).toThrowError(
        /ANTHROPIC_PRICE_OUT: must be a non-negative decimal number of USD per million tokens/,
      );
    }
  });
});
