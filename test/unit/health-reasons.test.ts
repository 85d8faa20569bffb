import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { reportMessage } from '../../src/blocks/report-message.ts';
import { statusMessage } from '../../src/blocks/status-message.ts';
import { buildCoverageReport, healthReasons } from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';
import { checkRunDate } from '../../src/scheduler/run-date-rules.ts';
import { checkBlockKitLimits } from '../support/block-kit-limits.ts';
import { actionIds } from '../support/slack-payloads.ts';
import { visibleText } from '../support/view-inspect.ts';

const thresholds = { promptPercent: 95, orgPercent: 95, providerPercent: 95 };
const night = (over: Partial<NonNullable<CoverageRows['night']>> = {}) => ({
  active_prompts: 40,
  eligible_orgs: 3,
  enabled_providers: 0,
  trigger_status: 'skipped',
  jobs: 0,
  ...over,
});
const zero = { numerator: 0, denominator: 0 };

describe('healthReasons (pure)', () => {
  it('0/0 with active prompts and every provider disabled is not healthy', () => {
    const reasons = healthReasons({
      runDate: '2026-03-02',
      prompts: zero,
      orgs: zero,
      units: { denominator: 0 },
      providers: [],
      thresholds,
      night: night(),
    });
    expect(reasons).toEqual([
      { code: 'no_provider_enabled', message: expect.stringMatching(/40 active prompts of 3 eligible orgs/) },
    ]);
  });

  it('an enabled provider that no plan allows is nothing_expected; no active prompt at all is healthy', () => {
    const input = {
      runDate: 'd',
      prompts: zero,
      orgs: zero,
      units: { denominator: 0 },
      providers: [],
      thresholds,
    };
    expect(healthReasons({ ...input, night: night({ enabled_providers: 1 }) }).map((r) => r.code)).toEqual([
      'nothing_expected',
    ]);
    expect(healthReasons({ ...input, night: night({ active_prompts: 0, trigger_status: null }) })).toEqual(
      [],
    );
  });

  it('a night without a finished trigger and without jobs says so; a job of the date (manual run) is enough', () => {
    const input = {
      runDate: '2026-03-02',
      prompts: { numerator: 10, denominator: 10 },
      orgs: { numerator: 2, denominator: 2 },
      units: { denominator: 20 },
      providers: [],
      thresholds,
    };
    for (const status of [null, 'failed', 'running']) {
      expect(
        healthReasons({ ...input, night: night({ trigger_status: status, enabled_providers: 2 }) }).map(
          (r) => r.code,
        ),
      ).toEqual(['trigger_not_run']);
    }
    expect(healthReasons({ ...input, night: night({ trigger_status: null, jobs: 2 }) })).toEqual([]);
  });

  it('threshold reasons compare exact ratios', () => {
    const codes = healthReasons({
      runDate: 'd',
      prompts: { numerator: 946, denominator: 1000 },
      orgs: { numerator: 19, denominator: 20 },
      units: { denominator: 1000 },
      providers: [],
      thresholds,
      night: night({ trigger_status: 'completed', enabled_providers: 4 }),
    }).map((r) => r.code);
    expect(codes).toEqual(['prompt_coverage_below_threshold']);
  });
});

function emptyNightReport() {
  const rows: CoverageRows = {
    orgs: [],
    providers: [],
    missing: [],
    over_quota: [],
    tasks: { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 },
    night: night(),
  };
  return buildCoverageReport(rows, {
    runDate: '2026-03-02',
    timezone: 'America/New_York',
    generatedAt: new Date('2026-03-02T09:00:00Z'),
    thresholds,
  });
}

describe('views of a night with nothing expected', () => {
  it('the morning report and /sched-status say Needs attention and why, never 100% healthy', () => {
    const report = emptyNightReport();
    expect(report.summary).toMatchObject({ overallHealth: 'NEEDS_ATTENTION', promptCoveragePercent: 100 });
    const now = new Date('2026-03-02T09:00:00Z');
    for (const view of [reportMessage({ report, now }), statusMessage({ report, now })]) {
      expect(view.text).toMatch(/Needs attention\. No provider is enabled/);
      expect(visibleText(view)).toContain('Why it needs attention');
      expect(visibleText(view)).toContain('no provider is enabled, so none of 40 active prompts');
      expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    }
  });

  it('offers no Repair button for a night whose trigger never ran (a repair would be refused)', () => {
    const report = emptyNightReport();
    report.summary.reasons = [{ code: 'trigger_not_run', message: 'no trigger ran for 2026-03-02' }];
    report.units.missing = 5;
    const now = new Date('2026-03-02T09:00:00Z');
    expect(actionIds(reportMessage({ report, now }))).not.toContain(ACTION_IDS.repair);
    expect(actionIds(statusMessage({ report, now }))).not.toContain(ACTION_IDS.repair);
  });
});

describe('checkRunDate (pure)', () => {
  const base = { today: '2026-03-02', timezone: 'America/New_York', backfillDays: 7, triggered: false };
  it('refuses the future for every purpose', () => {
    for (const purpose of ['trigger', 'manual', 'repair', 'rerun'] as const) {
      expect(checkRunDate({ ...base, purpose, runDate: '2026-03-03', triggered: true })).toMatchObject({
        ok: false,
        refusal: 'future',
      });
    }
  });

  it('lets trigger and manual backfill BACKFILL_DAYS days back, not one more', () => {
    for (const purpose of ['trigger', 'manual'] as const) {
      expect(checkRunDate({ ...base, purpose, runDate: '2026-03-02' })).toEqual({
        ok: true,
        backfill: false,
      });
      expect(checkRunDate({ ...base, purpose, runDate: '2026-02-23' })).toEqual({ ok: true, backfill: true });
      expect(checkRunDate({ ...base, purpose, runDate: '2026-02-22' })).toMatchObject({
        ok: false,
        refusal: 'beyond_backfill',
      });
      expect(checkRunDate({ ...base, purpose, runDate: '1999-12-31' })).toMatchObject({ ok: false });
    }
    expect(
      checkRunDate({ ...base, backfillDays: 0, purpose: 'trigger', runDate: '2026-03-01' }),
    ).toMatchObject({
      ok: false,
      refusal: 'beyond_backfill',
    });
  });

  it('lets repair and rerun touch only a night that had a trigger, whatever its age', () => {
    for (const purpose of ['repair', 'rerun'] as const) {
      expect(checkRunDate({ ...base, purpose, runDate: '2026-03-02' })).toMatchObject({
        ok: false,
        refusal: 'not_triggered',
      });
      expect(checkRunDate({ ...base, purpose, runDate: '2026-01-02', triggered: true })).toMatchObject({
        ok: true,
      });
    }
  });
});

describe('the provider criterion', () => {
  const base = {
    runDate: '2026-03-02',
    prompts: { numerator: 100, denominator: 100 },
    orgs: { numerator: 10, denominator: 10 },
    units: { denominator: 400 },
    thresholds,
    night: night({ trigger_status: 'completed', enabled_providers: 4, jobs: 10 }),
  };

  it('a provider that failed for every org is a reason naming it, though every prompt is covered', () => {
    const reasons = healthReasons({
      ...base,
      providers: [
        { provider: 'openai', expected: 100, succeeded: 0 },
        { provider: 'anthropic', expected: 100, succeeded: 100 },
      ],
    });
    expect(reasons).toEqual([
      {
        code: 'provider_coverage_below_threshold',
        provider: 'openai',
        message: 'openai answered 0% (0/100) of its units, below 95%',
      },
    ]);
  });

  it('compares exact ratios, and a provider expecting nothing is not judged', () => {
    const codes = (succeeded: number) =>
      healthReasons({
        ...base,
        providers: [
          { provider: 'gemini', expected: 1000, succeeded },
          { provider: 'perplexity', expected: 0, succeeded: 0 },
        ],
      }).map((r) => r.message);
    expect(codes(950)).toEqual([]);
    // 94.96 % rounds to 95 % for display; the sentence never says "95%, below 95%".
    expect(codes(949)).toEqual(['gemini answered 94.9% (949/1000) of its units, below 95%']);
    const edge = healthReasons({
      ...base,
      providers: [{ provider: 'gemini', expected: 10000, succeeded: 9496 }],
    });
    expect(edge[0]?.message).toBe('gemini answered 94.9% (9496/10000) of its units, below 95%');
  });

  it('follows HEALTH_PROVIDER_THRESHOLD', () => {
    const reasons = healthReasons({
      ...base,
      thresholds: { ...thresholds, providerPercent: 50 },
      providers: [{ provider: 'openai', expected: 100, succeeded: 60 }],
    });
    expect(reasons).toEqual([]);
  });
});
