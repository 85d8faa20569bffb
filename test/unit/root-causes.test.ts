import { describe, expect, it } from 'vitest';
import { buildCoverageReport } from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';
import {
  httpStatusOf,
  ROOT_CAUSE_MIN_ORGS,
  ROOT_CAUSE_MIN_PERCENT,
  rootCauses,
  withoutRootCauseUnits,
} from '../../src/coverage/root-causes.ts';
import { withSnoozes } from '../../src/coverage/snoozed-units.ts';
import type { ActiveSnooze, CoverageReport, MissingReason } from '../../src/coverage/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { uuid } from '../support/report-factory.ts';

/**
 * A night of `orgs` growth orgs with `promptsPerOrg` prompts each, openai and perplexity entitled
 * (so each provider expects orgs x promptsPerOrg units), and the given missing units.
 */
interface Miss {
  org: number;
  prompt: number;
  provider: ProviderName;
  reason?: MissingReason;
  error?: string | null;
}

function night(misses: Miss[], orgs = 10, promptsPerOrg = 10): CoverageReport {
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
    const uncovered = [...prompts].filter((p) => mine.filter((m) => m.prompt === p).length === 2).length;
    rows.orgs.push({
      org_id: uuid(1, o),
      name: `Org ${o}`,
      slug: `org-${o}`,
      plan: 'growth',
      expected_prompts: promptsPerOrg,
      covered_prompts: promptsPerOrg - uncovered,
      full_prompts: promptsPerOrg - prompts.size,
      expected_units: promptsPerOrg * 2,
      succeeded_units: promptsPerOrg * 2 - mine.length,
      over_quota_prompts: 0,
      found: mine.length === 0,
    });
  }
  for (const m of misses) {
    rows.missing.push({
      org_id: uuid(1, m.org),
      prompt_id: uuid(2, m.org * 1000 + m.prompt),
      text: `Prompt ${m.org}.${m.prompt}`,
      provider: m.provider,
      reason: m.reason ?? 'rate_limited',
      error: m.error === undefined ? `${m.provider} 429: Too Many Requests` : m.error,
    });
  }
  const expected = orgs * promptsPerOrg;
  for (const provider of ['openai', 'perplexity'] as const) {
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
    thresholds: { promptPercent: 95, orgPercent: 95 },
  });
}

/** `units` failures of `provider`, spread round-robin over the first `orgs` orgs. */
function failures(provider: ProviderName, units: number, orgs: number, over: Partial<Miss> = {}): Miss[] {
  return Array.from({ length: units }, (_, i) => ({
    org: i % orgs,
    prompt: Math.floor(i / orgs),
    provider,
    ...over,
  }));
}

const snooze = (over: Partial<ActiveSnooze>): ActiveSnooze => ({
  id: 1,
  scope: 'provider',
  provider: null,
  orgId: null,
  orgName: null,
  startsAt: '2026-03-08T01:00:00.000Z',
  until: null,
  untilSuccess: true,
  reason: null,
  by: 'U0ADMIN01',
  ...over,
});

describe('rootCauses', () => {
  it('defaults to 20 % of the provider’s units in at least 3 orgs', () => {
    expect(ROOT_CAUSE_MIN_PERCENT).toBe(20);
    expect(ROOT_CAUSE_MIN_ORGS).toBe(3);
  });

  it('names a provider whose failures are exactly 20 % of its units, and not one under it', () => {
    // 100 openai units expected: 20 failures is 20 %, 19 is not.
    const [cause] = rootCauses(night(failures('openai', 20, 5)));
    expect(cause).toEqual({
      provider: 'openai',
      failures: 20,
      expectedUnits: 100,
      orgs: 5,
      reason: 'rate_limited',
      reasonUnits: 20,
      httpStatus: 429,
      retryUnits: 20,
      retryOrgs: 5,
    });
    expect(rootCauses(night(failures('openai', 19, 5)))).toEqual([]);
  });

  it('compares the share exactly: 19.9 % is under 20 %', () => {
    // 201 expected units would need 40.2 failures: 40 is under, though it rounds to 20 %.
    const report = night(failures('openai', 40, 5));
    for (const p of report.providers) p.expectedUnits = 201;
    expect(rootCauses(report)).toEqual([]);
  });

  it('needs 3 orgs: the same failures in 2 orgs are those orgs’ problem', () => {
    expect(rootCauses(night(failures('openai', 20, 3)))).toHaveLength(1);
    expect(rootCauses(night(failures('openai', 20, 2)))).toEqual([]);
  });

  it('gives a snoozed provider no line, and does not count units an org snooze holds', () => {
    const misses = failures('openai', 30, 5);
    const report = night(misses);
    expect(rootCauses(withSnoozes(report, [snooze({ provider: 'openai' })]))).toEqual([]);
    // A snooze of openai in org 0 holds its 6 failures: 24 of 100 are left, in 4 orgs.
    const orgSnooze = snooze({ scope: 'org_provider', provider: 'openai', orgId: uuid(1, 0) });
    const [cause] = rootCauses(withSnoozes(report, [orgSnooze]));
    expect(cause).toMatchObject({ failures: 24, orgs: 4, retryUnits: 24, retryOrgs: 4 });
    // With 4 orgs snoozed, the one org left is not a root cause.
    const four = [0, 1, 2, 3].map((o) =>
      snooze({ id: o + 1, scope: 'org', orgId: uuid(1, o), provider: null }),
    );
    expect(rootCauses(withSnoozes(report, four))).toEqual([]);
  });

  it('names two providers at once, most failures first, each with its own dominant class', () => {
    const report = night([
      ...failures('openai', 20, 4, { reason: 'server', error: 'openai 502: Bad Gateway' }),
      ...failures('perplexity', 30, 6).map((m, i) =>
        i < 10 ? { ...m, reason: 'timeout' as const, error: 'perplexity: ETIMEDOUT' } : m,
      ),
    ]);
    expect(rootCauses(report)).toEqual([
      expect.objectContaining({
        provider: 'perplexity',
        failures: 30,
        orgs: 6,
        reason: 'rate_limited',
        reasonUnits: 20,
        httpStatus: 429,
      }),
      expect.objectContaining({
        provider: 'openai',
        failures: 20,
        orgs: 4,
        reason: 'server',
        reasonUnits: 20,
        httpStatus: 502,
      }),
    ]);
  });

  it('names none on a night with scattered failures, and none on a night with nothing missing', () => {
    expect(rootCauses(night([]))).toEqual([]);
    expect(rootCauses(night(failures('openai', 5, 5)))).toEqual([]);
  });

  it('counts only failures: units never queued, still queued or cancelled are not a provider failing', () => {
    for (const reason of ['not_scheduled', 'pending', 'processing', 'cancelled'] as const) {
      expect(rootCauses(night(failures('openai', 50, 5, { reason, error: null })))).toEqual([]);
    }
    // Units never queued are not counted as failures, but the retry would enqueue them too.
    const report = night([
      ...failures('openai', 20, 5),
      { org: 0, prompt: 9, provider: 'openai', reason: 'not_scheduled', error: null },
      { org: 1, prompt: 9, provider: 'openai', reason: 'pending', error: null },
    ]);
    expect(rootCauses(report)[0]).toMatchObject({ failures: 20, retryUnits: 21, retryOrgs: 5 });
  });

  it('leaves the HTTP status out when the errors carry none', () => {
    const [cause] = rootCauses(
      night(failures('openai', 20, 5, { reason: 'network', error: 'openai: ECONNRESET' })),
    );
    expect(cause).toMatchObject({ reason: 'network', httpStatus: undefined });
  });
});

describe('httpStatusOf', () => {
  it('reads the status the adapters and the fixtures write first', () => {
    expect(httpStatusOf('openai 429: Rate limit reached')).toBe(429);
    expect(httpStatusOf('429 Too Many Requests')).toBe(429);
    expect(httpStatusOf('perplexity: ECONNRESET')).toBeUndefined();
    expect(httpStatusOf('timed out after 1200 ms')).toBeUndefined();
    expect(httpStatusOf(null)).toBeUndefined();
  });
});

describe('withoutRootCauseUnits', () => {
  it('takes the root cause’s failures out of the prompts, and the prompts left with none', () => {
    const report = night([
      ...failures('openai', 20, 5),
      // Org 0's prompt 0 also misses perplexity (its own problem); org 9 has a perplexity miss.
      { org: 0, prompt: 0, provider: 'perplexity', reason: 'auth', error: 'perplexity 401: bad key' },
      { org: 9, prompt: 0, provider: 'perplexity', reason: 'auth', error: 'perplexity 401: bad key' },
    ]);
    const causes = rootCauses(report);
    expect(causes.map((c) => c.provider)).toEqual(['openai']);
    const left = withoutRootCauseUnits(report, causes).incompletePrompts;
    expect(left.map((p) => [p.org_name, p.missingProviders.map((m) => m.provider)])).toEqual([
      ['Org 0', ['perplexity']],
      ['Org 9', ['perplexity']],
    ]);
    // The prompt with both misses is still one no provider answered.
    expect(left[0]?.uncovered).toBe(true);
    // Nothing else of the report changes.
    expect(withoutRootCauseUnits(report, causes).ratios).toEqual(report.ratios);
    expect(withoutRootCauseUnits(report, [])).toBe(report);
  });

  it('keeps the root cause’s units a snooze holds, as the lists showed them before', () => {
    const report = withSnoozes(night(failures('openai', 30, 5)), [
      snooze({ scope: 'org_provider', provider: 'openai', orgId: uuid(1, 0) }),
    ]);
    const left = withoutRootCauseUnits(report, rootCauses(report)).incompletePrompts;
    expect(new Set(left.map((p) => p.org_name))).toEqual(new Set(['Org 0']));
    expect(left).toHaveLength(6);
  });
});
