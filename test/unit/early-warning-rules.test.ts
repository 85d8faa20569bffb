import { describe, expect, it } from 'vitest';
import { nightWarningMessage } from '../../src/blocks/night-warning-message.ts';
import {
  causeWords,
  decideWarnings,
  failureWindow,
  unitsAtRisk,
  type WatchSettings,
} from '../../src/scheduler/early-warning-rules.ts';
import type { ProviderWatch } from '../../src/scheduler/night-watch-query.ts';
import type { RaisedWarning } from '../../src/store/night-warnings.ts';
import { checkBlockKitLimits } from '../support/block-kit-limits.ts';

const ZONE = 'America/New_York';
const now = new Date('2026-03-09T07:30:00Z'); // 03:30 EDT
const postcheckAt = new Date('2026-03-09T08:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const settings: WatchSettings = { failureRate: 0.2, minCalls: 20, stallMinutes: 10, lateMarginMinutes: 10 };

const watch = (over: Partial<ProviderWatch> & { provider: string }): ProviderWatch => ({
  enabled: true,
  rpm: 600,
  heldUntil: null,
  pauseReason: null,
  snoozed: false,
  liveWorkers: 1,
  pending: 100,
  live: 100,
  finishedInWindow: 100,
  firstCreatedAt: minutesAgo(30),
  lastFinishedAt: minutesAgo(0.5),
  outcomes: { calls: 200, finalFailures: 0, retries: 0, rateLimited: 0, topError: null },
  ...over,
});
const failing = (provider: string, failures = 76) =>
  watch({
    provider,
    outcomes: {
      calls: 200,
      finalFailures: failures - 10,
      retries: 10,
      rateLimited: 0,
      topError: { errorClass: 'server', message: 'perplexity 500: Internal Server Error' },
    },
  });
const decide = (providers: ProviderWatch[], raised: RaisedWarning[] = []) =>
  decideWarnings({ providers, raised, settings, now, postcheckAt }).decisions;

describe('the failing-provider rule', () => {
  it('warns when final failures and retries reach the rate over enough calls, once', () => {
    expect(decide([failing('perplexity')])).toEqual([
      {
        kind: 'provider_failing',
        provider: 'perplexity',
        action: 'raise',
        window: { calls: 200, failures: 76, rate: 0.38, cause: 'HTTP 500' },
      },
    ]);
    const raised: RaisedWarning = { kind: 'provider_failing', subject: 'perplexity', state: 'failing' };
    expect(decide([failing('perplexity')], [raised])).toEqual([]);
  });

  it('needs the minimum count of calls and the threshold', () => {
    const few = watch({
      provider: 'openai',
      outcomes: { calls: 19, finalFailures: 19, retries: 0, rateLimited: 0, topError: null },
    });
    expect(decide([few])).toEqual([]);
    expect(decide([failing('openai', 39)])).toEqual([]);
    expect(decide([failing('openai', 40)])).toHaveLength(1);
  });

  it('a 429 counts only while the provider is paused', () => {
    const outcomes = { calls: 40, finalFailures: 0, retries: 0, rateLimited: 20, topError: null };
    expect(failureWindow(outcomes, false)).toMatchObject({ calls: 20, failures: 0 });
    expect(failureWindow(outcomes, true)).toMatchObject({ calls: 40, failures: 20, rate: 0.5 });
    expect(decide([watch({ provider: 'openai', outcomes })])).toEqual([]);
    const paused = watch({ provider: 'openai', outcomes, heldUntil: new Date(now.getTime() + 60_000) });
    expect(decide([paused]).map((d) => d.kind)).toEqual(['provider_failing']);
  });

  it('a snoozed provider gets no warning', () => {
    expect(decide([{ ...failing('perplexity'), snoozed: true }])).toEqual([]);
  });

  it('recovers under half the threshold, and a recovered warning is raised again as a relapse', () => {
    const raised = (state: 'failing' | 'recovered'): RaisedWarning[] => [
      { kind: 'provider_failing', subject: 'perplexity', state },
    ];
    expect(decide([failing('perplexity', 25)], raised('failing'))).toEqual([]); // 12.5 %: not yet
    expect(decide([failing('perplexity', 19)], raised('failing'))).toMatchObject([{ action: 'recover' }]);
    expect(decide([failing('perplexity', 19)], raised('recovered'))).toEqual([]);
    expect(decide([failing('perplexity', 60)], raised('recovered'))).toMatchObject([{ action: 'relapse' }]);
  });

  it('names the cause from the message, or the error class', () => {
    expect(causeWords({ errorClass: 'server', message: 'perplexity 503: Service Unavailable' })).toBe(
      'HTTP 503',
    );
    expect(causeWords({ errorClass: 'timeout', message: 'request timed out after 60000 ms' })).toBe(
      'timeout',
    );
    expect(causeWords({ errorClass: 'bad_request', message: 'bad' })).toBe('bad request');
  });

  it('counts the units that will miss the postcheck: not reached, or reached and failing', () => {
    // 30 min to the postcheck at 20/min: 100 live are all reached, 38 % of them fail.
    const { projection } = decideWarnings({
      providers: [failing('perplexity')],
      raised: [],
      settings,
      now,
      postcheckAt,
    });
    expect(unitsAtRisk(projection, 'perplexity', 0.38, now)).toBe(38);
    const slow = watch({ provider: 'perplexity', live: 1_000, pending: 1_000, finishedInWindow: 50 }); // 10/min
    const late = decideWarnings({ providers: [slow], raised: [], settings, now, postcheckAt }).projection;
    expect(unitsAtRisk(late, 'perplexity', 0.5, now)).toBe(700 + 150);
  });
});

describe('the stall rule', () => {
  it('a night with live units and no finish for the stall minutes warns once, naming the holders', () => {
    const stuck = [
      watch({ provider: 'openai', lastFinishedAt: minutesAgo(12), finishedInWindow: 0 }),
      watch({
        provider: 'anthropic',
        lastFinishedAt: minutesAgo(15),
        finishedInWindow: 0,
        heldUntil: new Date(now.getTime() + 600_000),
        pauseReason: 'auth: 401',
      }),
      watch({ provider: 'gemini', live: 0, pending: 0, lastFinishedAt: minutesAgo(20) }),
    ];
    const [stall] = decide(stuck);
    expect(stall).toMatchObject({
      kind: 'stalled',
      since: minutesAgo(12),
      live: 200,
      holders: [
        { provider: 'openai', live: 100, reason: { kind: 'no_progress' } },
        { provider: 'anthropic', live: 100, reason: { kind: 'paused', reason: 'auth: 401' } },
      ],
    });
    expect(
      decide(stuck, [{ kind: 'stalled', subject: '', state: 'failing' }]).map((d) => d.kind),
    ).not.toContain('stalled');
    expect(decide([watch({ provider: 'openai', lastFinishedAt: minutesAgo(9.9) })])).toEqual([]);
  });

  it('no finish yet counts from the first task; no live worker for an enabled provider warns at once', () => {
    const fresh = watch({ provider: 'openai', firstCreatedAt: minutesAgo(5), lastFinishedAt: null });
    expect(decide([fresh])).toEqual([]);
    expect(decide([{ ...fresh, firstCreatedAt: minutesAgo(10) }]).map((d) => d.kind)).toEqual(['stalled']);
    const orphan = watch({ provider: 'perplexity', liveWorkers: 0, lastFinishedAt: minutesAgo(0.1) });
    expect(decide([orphan, watch({ provider: 'openai' })])).toMatchObject([
      { kind: 'stalled', holders: [{ provider: 'perplexity', reason: { kind: 'no_worker' } }] },
    ]);
    // The trigger's first minute: workers may not have said which providers they serve yet.
    expect(decide([{ ...orphan, firstCreatedAt: minutesAgo(0.5) }])).toEqual([]);
  });
});

describe('the late-finish rule', () => {
  it('warns when the projection passes the postcheck by more than the margin, naming who holds it up', () => {
    // 50 rpm limit, 2,500 live: 50 minutes, so 04:20 against a 04:00 postcheck.
    const slow = watch({
      provider: 'perplexity',
      rpm: 50,
      live: 2_500,
      pending: 2_500,
      finishedInWindow: 250,
    });
    const [late] = decide([slow, watch({ provider: 'openai' })]);
    expect(late).toMatchObject({
      kind: 'late_finish',
      holder: { provider: 'perplexity', live: 2_500, reason: { kind: 'at_limit', rpm: 50 } },
    });
    // 04:08 is inside the 10-minute margin.
    expect(decide([{ ...slow, live: 1_900 }])).toEqual([]);
    expect(decide([slow], [{ kind: 'late_finish', subject: '', state: 'failing' }])).toEqual([]);
  });
});

describe('the warning messages', () => {
  const base = {
    runDate: '2026-03-09',
    now,
    postcheckAt,
    unitsAtRisk: 1_200,
    firstRaisedAt: undefined,
    first: true,
  };
  it('a failing provider: the sentence, the on-call, the Snooze menu, within Block Kit limits', () => {
    const [decision] = decide([failing('perplexity')]);
    const message = nightWarningMessage({ ...base, decision: decision ?? expect.fail() }, ZONE, {
      oncall: 'S0ONCALL',
    });
    expect(message.text).toBe(
      '<!subteam^S0ONCALL> ⚠️ *Perplexity*: 38% of the last 200 calls failed (HTTP 500), <!date^1773041400^{time}|2026-03-09 03:30 EDT>; at this rate 1,200 units will miss the <!date^1773043200^{time}|2026-03-09 04:00 EDT> postcheck.',
    );
    expect(checkBlockKitLimits(message, 'message')).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('snooze:warn-perplexity');
  });

  it('recovered: no mention, no Snooze, the first warning recalled', () => {
    const [decision] = decide(
      [failing('perplexity', 10)],
      [{ kind: 'provider_failing', subject: 'perplexity', state: 'failing' }],
    );
    const message = nightWarningMessage(
      { ...base, decision: decision ?? expect.fail(), first: false, firstRaisedAt: minutesAgo(8) },
      ZONE,
      { oncall: 'U0ONCALL' },
    );
    expect(message.text).toMatch(
      /^✅ \*Perplexity\* has recovered, .*: 5% of the last 200 calls failed \(HTTP 500\) \(warned at .*03:22 EDT>\)\.$/,
    );
    expect(JSON.stringify(message.blocks)).not.toContain('snooze:');
  });

  it('a stalled night and a late one name what holds them up', () => {
    const [stall] = decide([
      watch({ provider: 'perplexity', liveWorkers: 0, lastFinishedAt: minutesAgo(14), finishedInWindow: 0 }),
    ]);
    const stalled = nightWarningMessage({ ...base, decision: stall ?? expect.fail() }, ZONE);
    expect(stalled.text).toContain('🧊 The night of Mon, Mar 9, 2026 is not moving: no unit finished since');
    expect(stalled.text).toContain(
      '(14 minutes), 100 units wait. Held up by Perplexity no live worker can call it (100 units).',
    );
    const [late] = decide([
      watch({ provider: 'perplexity', rpm: 50, live: 2_500, pending: 2_500, finishedInWindow: 250 }),
    ]);
    const lateText = nightWarningMessage({ ...base, decision: late ?? expect.fail() }, ZONE).text;
    expect(lateText).toContain('will not finish before the');
    expect(lateText).toContain(
      'Perplexity at its 50 rpm limit holds it up (2,500 units left, 1,000 would still wait at the postcheck)',
    );
  });
});
