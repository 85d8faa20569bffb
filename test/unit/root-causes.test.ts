import { describe, expect, it } from 'vitest';
import {
  httpStatusOf,
  ROOT_CAUSE_MIN_ORGS,
  ROOT_CAUSE_MIN_PERCENT,
  rootCauses,
  withoutRootCauseUnits,
} from '../../src/coverage/root-causes.ts';
import { withSnoozes } from '../../src/coverage/snoozed-units.ts';
import type { ActiveSnooze } from '../../src/coverage/types.ts';
import { failingNight, failures, type Miss, orgIdOf } from '../support/failing-night.ts';

const night = (misses: Miss[]) => failingNight(misses);

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
    const orgSnooze = snooze({ scope: 'org_provider', provider: 'openai', orgId: orgIdOf(0) });
    const [cause] = rootCauses(withSnoozes(report, [orgSnooze]));
    expect(cause).toMatchObject({ failures: 24, orgs: 4, retryUnits: 24, retryOrgs: 4 });
    // With 4 orgs snoozed, the one org left is not a root cause.
    const four = [0, 1, 2, 3].map((o) =>
      snooze({ id: o + 1, scope: 'org', orgId: orgIdOf(o), provider: null }),
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
      snooze({ scope: 'org_provider', provider: 'openai', orgId: orgIdOf(0) }),
    ]);
    const left = withoutRootCauseUnits(report, rootCauses(report)).incompletePrompts;
    expect(new Set(left.map((p) => p.org_name))).toEqual(new Set(['Org 0']));
    expect(left).toHaveLength(6);
  });
});
