import { buildCoverageReport } from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';
import type { CoverageReport, MissingReason } from '../../src/coverage/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { uuid } from './report-factory.ts';

/**
 * Reports of nights where providers fail in many orgs (root-cause tests), built by the real coverage
 * math: `orgs` growth orgs ("Org 0", …) with `promptsPerOrg` prompts each and `providers` entitled,
 * so each provider expects orgs x promptsPerOrg units, and exactly the given missing units.
 */

export interface Miss {
  org: number;
  prompt: number;
  provider: ProviderName;
  /** rate_limited unless said. */
  reason?: MissingReason;
  /** "<provider> 429: Too Many Requests" unless said. */
  error?: string | null;
}

export interface NightShape {
  orgs?: number;
  promptsPerOrg?: number;
  providers?: readonly ProviderName[];
  orgName?: (i: number) => string;
  promptText?: (org: number, prompt: number) => string;
}

export const orgIdOf = (org: number) => uuid(1, org);

export function failingNight(misses: Miss[], shape: NightShape = {}): CoverageReport {
  const orgs = shape.orgs ?? 10;
  const promptsPerOrg = shape.promptsPerOrg ?? 10;
  const providers = shape.providers ?? (['openai', 'perplexity'] as const);
  const rows: CoverageRows = {
    orgs: [],
    providers: [],
    missing: [],
    over_quota: [],
    tasks: { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 },
  };
  for (let o = 0; o < orgs; o++) {
    const mine = misses.filter((m) => m.org === o);
    const prompts = new Set(mine.map((m) => m.prompt));
    const uncovered = [...prompts].filter(
      (p) => mine.filter((m) => m.prompt === p).length === providers.length,
    ).length;
    rows.orgs.push({
      org_id: orgIdOf(o),
      name: shape.orgName?.(o) ?? `Org ${o}`,
      slug: `org-${o}`,
      plan: 'growth',
      expected_prompts: promptsPerOrg,
      covered_prompts: promptsPerOrg - uncovered,
      full_prompts: promptsPerOrg - prompts.size,
      expected_units: promptsPerOrg * providers.length,
      succeeded_units: promptsPerOrg * providers.length - mine.length,
      over_quota_prompts: 0,
      found: mine.length === 0,
    });
  }
  for (const m of misses) {
    rows.missing.push({
      org_id: orgIdOf(m.org),
      prompt_id: uuid(2, m.org * 1000 + m.prompt),
      text: shape.promptText?.(m.org, m.prompt) ?? `Prompt ${m.org}.${m.prompt}`,
      provider: m.provider,
      reason: m.reason ?? 'rate_limited',
      error: m.error === undefined ? `${m.provider} 429: Too Many Requests` : m.error,
    });
  }
  const expected = orgs * promptsPerOrg;
  for (const provider of providers) {
    const missing = misses.filter((m) => m.provider === provider).length;
    rows.providers.push({
      provider,
      enabled: true,
      paused_until: null,
      pause_reason: null,
      expected_units: expected,
      succeeded_units: expected - missing,
    });
  }
  return buildCoverageReport(rows, {
    runDate: '2026-03-08',
    timezone: 'America/New_York',
    generatedAt: new Date('2026-03-08T08:00:00Z'),
    thresholds: { promptPercent: 95, orgPercent: 95, providerPercent: 95 },
  });
}

/** `units` failures of `provider`, spread round-robin over the first `orgs` orgs (prompt 0 first). */
export function failures(
  provider: ProviderName,
  units: number,
  orgs: number,
  over: Partial<Miss> = {},
): Miss[] {
  return Array.from({ length: units }, (_, i) => ({
    org: i % orgs,
    prompt: Math.floor(i / orgs),
    provider,
    ...over,
  }));
}
