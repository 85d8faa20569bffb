import { describe, expect, it } from 'vitest';
import {
  buildCoverageReport,
  healthReasons,
  meetsThreshold,
  percentOf,
} from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';

const thresholds = { promptPercent: 95, orgPercent: 95, providerPercent: 95 };
const context = { runDate: '2026-11-28', timezone: 'America/New_York', generatedAt: new Date(0), thresholds };
const emptyTasks = { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };

function org(id: string, over: Partial<CoverageRows['orgs'][number]> = {}): CoverageRows['orgs'][number] {
  return {
    org_id: id,
    name: `Org ${id}`,
    slug: `org-${id}`,
    plan: 'growth',
    expected_prompts: 0,
    covered_prompts: 0,
    full_prompts: 0,
    expected_units: 0,
    succeeded_units: 0,
    over_quota_prompts: 0,
    found: true,
    ...over,
  };
}

describe('thresholds compare exact ratios', () => {
  it('94.6 % is below 95 % even though it rounds to 95', () => {
    expect(meetsThreshold(946, 1000, 95)).toBe(false);
    expect(Math.round(percentOf(946, 1000))).toBe(95);
    expect(meetsThreshold(950, 1000, 95)).toBe(true);
    const reasons = healthReasons({
      runDate: 'd',
      prompts: { numerator: 946, denominator: 1000 },
      orgs: { numerator: 1, denominator: 1 },
      units: { denominator: 1000 },
      providers: [],
      thresholds,
      night: undefined,
    });
    expect(reasons.map((r) => r.code)).toEqual(['prompt_coverage_below_threshold']);
  });

  it('nothing expected is nothing missing', () => {
    expect(percentOf(0, 0)).toBe(100);
    const zero = { numerator: 0, denominator: 0 };
    expect(
      healthReasons({
        runDate: 'd',
        prompts: zero,
        orgs: zero,
        units: zero,
        providers: [],
        thresholds,
        night: undefined,
      }),
    ).toEqual([]);
  });
});

describe('buildCoverageReport', () => {
  it('with no prompts at all is healthy and empty', () => {
    const report = buildCoverageReport(
      { orgs: [], providers: [], missing: [], over_quota: [], tasks: emptyTasks },
      context,
    );
    expect(report.promptCoverage.expectedActivePrompts).toBe(0);
    expect(report.summary.overallHealth).toBe('HEALTHY');
    expect(report.promptCoverage.missingPromptsByOrg).toEqual({});
  });

  it('with everything missing lists every prompt as uncovered', () => {
    const rows: CoverageRows = {
      orgs: [org('a', { expected_prompts: 2, expected_units: 4, found: false })],
      providers: [],
      missing: [
        {
          org_id: 'a',
          prompt_id: 'p1',
          text: 'one',
          provider: 'openai',
          reason: 'not_scheduled',
          error: null,
        },
        { org_id: 'a', prompt_id: 'p1', text: 'one', provider: 'gemini', reason: 'timeout', error: 'slow' },
        { org_id: 'a', prompt_id: 'p2', text: 'two', provider: 'openai', reason: 'auth', error: '401' },
        { org_id: 'a', prompt_id: 'p2', text: 'two', provider: 'gemini', reason: 'auth', error: '401' },
      ],
      over_quota: [],
      tasks: emptyTasks,
    };
    const report = buildCoverageReport(rows, context);
    expect(report.promptCoverage.coveragePercent).toBe(0);
    expect(report.promptCoverage.missingPromptsCount).toBe(2);
    expect(report.promptCoverage.missingPromptsByOrg.a?.map((p) => p.id)).toEqual(['p1', 'p2']);
    expect(report.orgCoverage).toMatchObject({ expected: 1, found: 0, missing: 1 });
    expect(report.failures).toEqual([
      { provider: 'gemini', reason: 'auth', count: 1 },
      { provider: 'gemini', reason: 'timeout', count: 1 },
      { provider: 'openai', reason: 'auth', count: 1 },
      { provider: 'openai', reason: 'not_scheduled', count: 1 },
    ]);
    expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
  });

  it('a prompt missing one provider of two is covered but not fully covered', () => {
    const rows: CoverageRows = {
      orgs: [org('a', { expected_prompts: 1, covered_prompts: 1, expected_units: 2, succeeded_units: 1 })],
      providers: [],
      missing: [
        { org_id: 'a', prompt_id: 'p1', text: 'one', provider: 'gemini', reason: 'server', error: '503' },
      ],
      over_quota: [],
      tasks: emptyTasks,
    };
    const report = buildCoverageReport(rows, context);
    expect(report.promptCoverage.missingPromptsByOrg).toEqual({});
    expect(report.promptCoverage.incompletePromptsCount).toBe(1);
    expect(report.incompletePrompts[0]?.uncovered).toBe(false);
    expect(report.ratios.units).toMatchObject({ numerator: 1, denominator: 2, percent: 50 });
  });

  it('an org whose prompts are all over quota is reported, not expected', () => {
    const report = buildCoverageReport(
      {
        orgs: [],
        providers: [],
        missing: [],
        over_quota: [{ org_id: 'z', name: 'Zed', quota: 25, active_prompts: 30, over_quota_prompts: 5 }],
        tasks: emptyTasks,
      },
      context,
    );
    expect(report.orgCoverage.expected).toBe(0);
    expect(report.overQuota).toEqual([
      { orgId: 'z', name: 'Zed', quota: 25, activePrompts: 30, overQuotaPrompts: 5 },
    ]);
  });
});
