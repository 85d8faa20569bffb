import { describe, expect, it } from 'vitest';
import { MAX_SNOOZE_DAYS, nextClockTime, parseDuration, parseSnoozeEnd } from '../../src/time/snooze-end.ts';

const ZONE = 'America/New_York';
const at = (iso: string) => new Date(iso);

describe('snooze end', () => {
  it('reads durations in days, hours and minutes, and refuses zero or words', () => {
    expect(parseDuration('2h')).toBe(2 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('0m')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
  });

  it('takes HH:MM today while it is ahead, tomorrow once it has passed', () => {
    // 05:00 in New York (EST, UTC-5).
    const now = at('2026-01-15T10:00:00Z');
    expect(nextClockTime('06:00', now, ZONE).toISOString()).toBe('2026-01-15T11:00:00.000Z');
    expect(nextClockTime('04:00', now, ZONE).toISOString()).toBe('2026-01-16T09:00:00.000Z');
    // Exactly now is not ahead: tomorrow.
    expect(nextClockTime('05:00', now, ZONE).toISOString()).toBe('2026-01-16T10:00:00.000Z');
  });

  it('keeps the wall clock across both DST days', () => {
    // 2026-03-08 01:00 EST: 06:00 that day is EDT (UTC-4), five hours later on the wall, four real.
    expect(nextClockTime('06:00', at('2026-03-08T06:00:00Z'), ZONE).toISOString()).toBe(
      '2026-03-08T10:00:00.000Z',
    );
    // 02:30 does not exist that day: luxon moves it forward to 03:30 EDT.
    expect(nextClockTime('02:30', at('2026-03-08T06:00:00Z'), ZONE).toISOString()).toBe(
      '2026-03-08T07:30:00.000Z',
    );
    // 2026-11-01 00:30 EDT: 06:00 that day is EST (UTC-5).
    expect(nextClockTime('06:00', at('2026-11-01T04:30:00Z'), ZONE).toISOString()).toBe(
      '2026-11-01T11:00:00.000Z',
    );
  });

  it('reads ISO times in the zone unless they carry an offset, and until-success', () => {
    const now = at('2026-03-01T12:00:00Z');
    expect(parseSnoozeEnd('2026-03-09T06:00', now, ZONE)).toEqual({
      kind: 'at',
      endsAt: at('2026-03-09T10:00:00Z'),
    });
    expect(parseSnoozeEnd('2026-03-02T06:00Z', now, ZONE)).toEqual({
      kind: 'at',
      endsAt: at('2026-03-02T06:00:00Z'),
    });
    expect(parseSnoozeEnd('until-success', now, ZONE)).toEqual({ kind: 'success' });
    expect(parseSnoozeEnd('until next success', now, ZONE)).toEqual({ kind: 'success' });
  });

  it('counts a duration from a later start, for a maintenance window', () => {
    const now = at('2026-03-01T12:00:00Z');
    const starts = at('2026-03-02T02:00:00Z');
    expect(parseSnoozeEnd('2h', now, ZONE, starts)).toEqual({
      kind: 'at',
      endsAt: at('2026-03-02T04:00:00Z'),
    });
  });

  it('refuses words, the past and more than the longest snooze, in one sentence', () => {
    const now = at('2026-03-01T12:00:00Z');
    const words = parseSnoozeEnd('tomorrow-ish', now, ZONE);
    expect(words).toMatchObject({ kind: 'invalid' });
    expect(words.kind === 'invalid' && words.sentence).toContain('is not a duration or a time');
    expect(parseSnoozeEnd('2026-02-01T06:00', now, ZONE)).toMatchObject({
      kind: 'invalid',
      sentence: expect.stringContaining('already passed'),
    });
    expect(parseSnoozeEnd(`${MAX_SNOOZE_DAYS + 1}d`, now, ZONE)).toMatchObject({
      kind: 'invalid',
      sentence: expect.stringContaining(`at most ${MAX_SNOOZE_DAYS} days`),
    });
    expect(parseSnoozeEnd(`${MAX_SNOOZE_DAYS}d`, now, ZONE)).toMatchObject({ kind: 'at' });
  });
});
