import { buildCoverageReport } from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';
import type { CoverageReport, MissingReason } from '../../src/coverage/types.ts';

/**
 * Coverage reports for view tests, built by the real (pure) coverage math from rows shaped like
 * the coverage query's: small ones to read, huge ones to push every Block Kit limit.
 */

export interface ReportShape {
  runDate?: string;
  /** Orgs that have missing prompts. */
  orgsMissing?: number;
  /** Orgs that ran completely. */
  healthyOrgs?: number;
  /** Per org with missing prompts: prompts no provider answered, and prompts one provider missed. */
  uncoveredPerOrg?: number;
  partialPerOrg?: number;
  coveredPerOrg?: number;
  orgName?: (i: number) => string;
  promptText?: (org: number, prompt: number) => string;
  overQuotaOrgs?: number;
  generatedAt?: Date;
  livePending?: number;
  pausedReason?: string;
  /** Where the active prompts went (the coverage query always says; hand-built rows may not). */
  activePrompts?: CoverageRows['active_prompts'];
}

const REASONS: MissingReason[] = ['rate_limited', 'timeout', 'auth', 'server', 'not_scheduled'];

export const uuid = (kind: number, n: number) =>
  `00000000-0000-4000-8${kind.toString(16).padStart(3, '0')}-${n.toString(16).padStart(12, '0')}`;

export function makeReport(shape: ReportShape = {}): CoverageReport {
  const orgsMissing = shape.orgsMissing ?? 3;
  const healthyOrgs = shape.healthyOrgs ?? 5;
  const uncoveredPerOrg = shape.uncoveredPerOrg ?? 2;
  const partialPerOrg = shape.partialPerOrg ?? 1;
  const coveredPerOrg = shape.coveredPerOrg ?? 10;
  const orgName = shape.orgName ?? ((i: number) => `Org ${i}`);
  const promptText =
    shape.promptText ?? ((o: number, p: number) => `What is the best tool for task ${o}.${p}?`);

  const rows: CoverageRows = { orgs: [], providers: [], missing: [], over_quota: [], tasks: emptyTasks() };
  let unitsMissingOpenai = 0;
  let unitsMissingPerplexity = 0;
  let unitsExpected = 0;
  for (let i = 0; i < orgsMissing + healthyOrgs; i++) {
    const missing = i < orgsMissing;
    const uncovered = missing ? uncoveredPerOrg : 0;
    const partial = missing ? partialPerOrg : 0;
    const expected = uncovered + partial + coveredPerOrg;
    const orgId = uuid(1, i);
    rows.orgs.push({
      org_id: orgId,
      name: orgName(i),
      slug: `org-${i}`,
      plan: 'starter',
      expected_prompts: expected,
      covered_prompts: expected - uncovered,
      full_prompts: coveredPerOrg,
      expected_units: expected * 2,
      succeeded_units: expected * 2 - uncovered * 2 - partial,
      over_quota_prompts: 0,
      found: !missing || i % 2 === 0,
    });
    unitsExpected += expected;
    for (let p = 0; p < uncovered + partial; p++) {
      const promptId = uuid(2, i * 10_000 + p);
      const base = { org_id: orgId, prompt_id: promptId, text: promptText(i, p) };
      const reason = REASONS[(i + p) % REASONS.length] as MissingReason;
      rows.missing.push({
        ...base,
        provider: 'perplexity',
        reason: 'rate_limited',
        error: '429 Too Many Requests',
      });
      unitsMissingPerplexity += 1;
      if (p < uncovered) {
        rows.missing.push({ ...base, provider: 'openai', reason, error: `${reason} <@U999> & <!channel>` });
        unitsMissingOpenai += 1;
      }
    }
  }
  rows.providers = [
    provider('openai', unitsExpected, unitsMissingOpenai),
    provider('perplexity', unitsExpected, unitsMissingPerplexity, shape.pausedReason),
    { ...provider('anthropic', 0, 0), enabled: false },
  ];
  for (let i = 0; i < (shape.overQuotaOrgs ?? 0); i++) {
    rows.over_quota.push({
      org_id: uuid(1, i),
      name: orgName(i),
      quota: 25,
      active_prompts: 40,
      over_quota_prompts: 15,
    });
  }
  rows.tasks.pending = shape.livePending ?? 0;
  if (shape.activePrompts) rows.active_prompts = shape.activePrompts;
  return buildCoverageReport(rows, {
    runDate: shape.runDate ?? '2026-03-08',
    timezone: 'America/New_York',
    generatedAt: shape.generatedAt ?? new Date('2026-03-08T08:00:00Z'),
    thresholds: { promptPercent: 95, orgPercent: 95, providerPercent: 95 },
  });
}

function provider(
  name: 'openai' | 'perplexity' | 'anthropic',
  expected: number,
  missing: number,
  pauseReason?: string,
): CoverageRows['providers'][number] {
  return {
    provider: name,
    enabled: true,
    paused_until: pauseReason ? '2026-03-08T09:00:00.000Z' : null,
    pause_reason: pauseReason ?? null,
    expected_units: expected,
    succeeded_units: expected - missing,
  };
}

function emptyTasks(): CoverageRows['tasks'] {
  return { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
}

/** The hostile inputs the views must survive: long names, long prompts, markup in user text. */
export const longName = (i: number) => `Org ${i} <@U123> & <!channel> ${'x'.repeat(200)}`.slice(0, 200);
export const longPrompt = (o: number, p: number) =>
  `Prompt ${o}.${p} <https://evil.example|click> ${'y'.repeat(3000)}`.slice(0, 3000);

/** 1,000 orgs missing prompts, 200-character names, 3,000-character prompts. */
export const hugeReport = (shape: ReportShape = {}) =>
  makeReport({
    orgsMissing: 1000,
    healthyOrgs: 10,
    uncoveredPerOrg: 2,
    partialPerOrg: 1,
    orgName: longName,
    promptText: longPrompt,
    overQuotaOrgs: 300,
    activePrompts: {
      total: 1_234_567,
      expected: 1_000_000,
      org_not_eligible: 200_000,
      over_quota: 30_000,
      no_entitled_provider: 4_567,
    },
    ...shape,
  });
