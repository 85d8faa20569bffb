import { describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_POLLS, idleSleepMs } from '../../src/queue/wake-up.ts';

/** Instants (ms from going idle) of the claim rounds an idle worker runs within `spanMs`. */
function idleRounds(listening: boolean, spanMs: number): number[] {
  const rounds = [0];
  let at = 0;
  for (let empty = 1; ; empty++) {
    at += idleSleepMs(empty, listening, DEFAULT_IDLE_POLLS);
    if (at >= spanMs) return rounds;
    rounds.push(at);
  }
}

const perMinute = (rounds: number[], minute: number) =>
  rounds.filter((at) => at >= minute * 60_000 && at < (minute + 1) * 60_000).length;

describe('idleSleepMs', () => {
  it('listening: doubles from 2 s to a minute, so an idle hour costs one claim round a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => idleSleepMs(n, true, DEFAULT_IDLE_POLLS))).toEqual([
      2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    const rounds = idleRounds(true, 60 * 60_000);
    expect(perMinute(rounds, 0)).toBe(5);
    for (let minute = 1; minute < 60; minute++) expect(perMinute(rounds, minute)).toBeLessThanOrEqual(1);
  });

  it('not listening: polls every 2 s, as graphile-worker and pg-boss do, never longer', () => {
    expect([1, 2, 10, 1_000].map((n) => idleSleepMs(n, false, DEFAULT_IDLE_POLLS))).toEqual([
      2_000, 2_000, 2_000, 2_000,
    ]);
  });

  it('never sleeps less than the first step, whatever the options', () => {
    expect(idleSleepMs(0, true, { idlePollMs: 500, maxIdlePollMs: 100 })).toBe(500);
    expect(idleSleepMs(3, true, { idlePollMs: 500, maxIdlePollMs: 10_000 })).toBe(2_000);
  });
});
