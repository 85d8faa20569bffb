import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { projectionWords } from '../../src/blocks/projection-words.ts';
import {
  etaSeconds,
  type ProviderPace,
  projectNight,
  projectProvider,
} from '../../src/scheduler/night-projection.ts';

const now = new Date('2026-03-09T07:30:00Z'); // 03:30 EDT
const postcheckAt = new Date('2026-03-09T08:00:00Z'); // 04:00 EDT
const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const pace = (over: Partial<ProviderPace> & { provider: string }): ProviderPace => ({
  live: 100,
  finishedInWindow: 50,
  windowMinutes: 5,
  rpm: 600,
  pausedUntil: null,
  ...over,
});

describe('projectNight', () => {
  it('projects each provider from its recent rate; the slowest one finishes the night', () => {
    const projection = projectNight({
      now,
      postcheckAt,
      providers: [
        pace({ provider: 'openai', live: 100, finishedInWindow: 100 }), // 20/min: 5 min
        pace({ provider: 'perplexity', live: 600, finishedInWindow: 100 }), // 20/min: 30 min
      ],
    });
    expect(projection.finishAt?.toISOString()).toBe('2026-03-09T08:00:00.000Z');
    expect(projection.holdUp?.provider).toBe('perplexity');
    expect(projection.live).toBe(700);
    expect(projection.unitsLeftAtPostcheck).toBe(0);
    expect(etaSeconds(projection, now)).toBe(1800);
    expect(projectionWords(projection, hhmm)).toBe('at the current pace: 08:00, before the 08:00 postcheck');
  });

  it('no progress yet: no projection, and the words say which provider has no pace', () => {
    const projection = projectNight({
      now,
      postcheckAt,
      providers: [pace({ provider: 'openai', finishedInWindow: 0 })],
    });
    expect(projection.finishAt).toBeNull();
    expect(projection.holdUp?.basis).toBe('no_pace');
    expect(etaSeconds(projection, now)).toBeUndefined();
    expect(projection.unitsLeftAtPostcheck).toBe(100);
    expect(projectionWords(projection, hhmm)).toContain('no projected finish yet: OpenAI finished nothing');
  });

  it('a paused provider starts again at its pause end, at its recent pace or at best its rpm limit', () => {
    const pausedUntil = new Date('2026-03-09T07:50:00Z');
    const withRate = projectProvider(
      pace({ provider: 'perplexity', live: 300, finishedInWindow: 50, pausedUntil }),
      now,
    );
    expect(withRate.basis).toBe('paused');
    expect(withRate.finishAt?.toISOString()).toBe('2026-03-09T08:20:00.000Z'); // 10/min from 07:50
    const noRate = projectProvider(
      pace({ provider: 'perplexity', live: 300, finishedInWindow: 0, rpm: 60, pausedUntil }),
      now,
    );
    expect(noRate.finishAt?.toISOString()).toBe('2026-03-09T07:55:00.000Z'); // 60/min from 07:50
    expect(noRate.atLimit).toBe(true);
    const projection = projectNight({
      now,
      postcheckAt,
      providers: [pace({ provider: 'perplexity', live: 300, finishedInWindow: 50, pausedUntil })],
    });
    expect(projection.unitsLeftAtPostcheck).toBe(200);
    expect(projectionWords(projection, hhmm)).toBe(
      'will not finish before the 08:00 postcheck: about 08:20; Perplexity paused until 07:50 holds it up',
    );
  });

  it('a pause that is over counts as no pause', () => {
    const p = projectProvider(pace({ provider: 'openai', pausedUntil: new Date(now.getTime() - 1) }), now);
    expect(p.basis).toBe('pace');
  });

  it('a finished provider is done now and never holds the night up', () => {
    const projection = projectNight({
      now,
      postcheckAt,
      providers: [
        pace({ provider: 'openai', live: 0, finishedInWindow: 0 }),
        pace({ provider: 'gemini', live: 10, finishedInWindow: 50 }),
      ],
    });
    expect(projection.holdUp?.provider).toBe('gemini');
    expect(projection.providers[0]?.basis).toBe('done');
    const done = projectNight({ now, postcheckAt, providers: [pace({ provider: 'openai', live: 0 })] });
    expect(done.finishAt).toBeNull();
    expect(etaSeconds(done, now)).toBe(0);
    expect(projectionWords(done, hhmm)).toBeUndefined();
  });

  it('a provider at its rpm limit is named as held by that limit; the rate is never above the limit', () => {
    const projection = projectNight({
      now,
      postcheckAt,
      providers: [pace({ provider: 'perplexity', live: 3_500, finishedInWindow: 400, rpm: 50 })],
    });
    expect(projection.holdUp?.perMinute).toBe(50);
    expect(projection.holdUp?.atLimit).toBe(true);
    expect(projection.finishAt?.toISOString()).toBe('2026-03-09T08:40:00.000Z');
    expect(projection.unitsLeftAtPostcheck).toBe(2_000);
    expect(projectionWords(projection, hhmm)).toBe(
      'will not finish before the 08:00 postcheck: about 08:40; Perplexity at its 50 rpm limit holds it up',
    );
  });

  it('without a postcheck ahead it names the pace only', () => {
    const projection = projectNight({
      now,
      postcheckAt: new Date(now.getTime() - 1),
      providers: [pace({ provider: 'openai' })],
    });
    expect(projection.postcheckAt).toBeNull();
    expect(projectionWords(projection, hhmm)).toBe(
      'at the current pace: 07:40; OpenAI at 10 units/min sets the pace',
    );
  });
});

/**
 * A night recorded from the real worker and the simulated demo providers at low rpm limits
 * (test/support/record-night-progress.ts): at every second from one rate window in to 90 % done, the projection
 * from the counts and the last few seconds' rate lands within 10 % of the time that was left.
 * The recorded night is short (tens of seconds), so the rate window is scaled down with it.
 */
describe('projection accuracy against a recorded night', () => {
  const recording = JSON.parse(
    readFileSync(new URL('../fixtures/night-progress.json', import.meta.url), 'utf8'),
  ) as { rpm: Record<string, number>; finishedMs: Record<string, number[]> };
  const providers = Object.keys(recording.finishedMs);
  const all = providers.flatMap((p) => recording.finishedMs[p] ?? []);
  const total = all.length;
  const end = Math.max(...all);
  // A sixth of the recorded night, as the 5-minute window is of a half-hour night.
  const windowMs = 30_000;

  it('stays within 10 % of the remaining time', () => {
    const misses: string[] = [];
    let checked = 0;
    for (let t = 0; t < end; t += 1_000) {
      const done = all.filter((ms) => ms <= t).length;
      // From one full rate window into the night (before it, the window still holds the start-up)
      // until 90 % of the units are done.
      if (t < windowMs || done > total * 0.9) continue;
      const at = new Date(t);
      const projection = projectNight({
        now: at,
        postcheckAt: null,
        providers: providers.map((provider) => {
          const times = recording.finishedMs[provider] ?? [];
          return {
            provider,
            live: times.filter((ms) => ms > t).length,
            finishedInWindow: times.filter((ms) => ms > t - windowMs && ms <= t).length,
            windowMinutes: Math.min(windowMs, t) / 60_000,
            rpm: recording.rpm[provider] ?? 1,
            pausedUntil: null,
          };
        }),
      });
      checked += 1;
      const left = end - t;
      const error = Math.abs((projection.finishAt?.getTime() ?? Number.POSITIVE_INFINITY) - end);
      if (error > left * 0.1)
        misses.push(`at ${t} ms: projected ${projection.finishAt?.getTime()} ms, finished ${end} ms`);
    }
    expect(checked).toBeGreaterThan(10);
    expect(misses).toEqual([]);
  });
});
