import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { cronMatches, lastFireOnRunDate, parseCron } from '../../src/scheduler/cron-matcher.ts';
import { isDueToday } from '../../src/scheduler/scheduler-tick.ts';

const NY = 'America/New_York';
const at = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const utc = (iso: string) => new Date(iso);

describe('parseCron and cronMatches', () => {
  it('reads lists, ranges and steps, and rejects what is not cron', () => {
    const fields = parseCron('*/15 3-5,22 * * 1-5');
    expect([...fields.minutes]).toEqual([0, 15, 30, 45]);
    expect([...fields.hours]).toEqual([3, 4, 5, 22]);
    for (const bad of ['* * * *', '61 * * * *', '* 24 * * *', '*/0 * * * *', 'a b c d e', '5-1 * * * *']) {
      expect(() => parseCron(bad)).toThrow();
    }
  });

  it('matches day of week with 0 and 7 both Sunday', () => {
    const sunday = DateTime.fromISO('2026-03-08T03:00', { zone: NY });
    expect(cronMatches(parseCron('0 3 * * 0'), sunday)).toBe(true);
    expect(cronMatches(parseCron('0 3 * * 7'), sunday)).toBe(true);
    expect(cronMatches(parseCron('0 3 * * 1-5'), sunday)).toBe(false);
  });

  it('with both day fields restricted, either one matching is enough (classic cron)', () => {
    const fields = parseCron('0 3 1 * 1'); // the 1st of the month, or any Monday
    expect(cronMatches(fields, DateTime.fromISO('2026-03-01T03:00', { zone: NY }))).toBe(true); // a Sunday, the 1st
    expect(cronMatches(fields, DateTime.fromISO('2026-03-02T03:00', { zone: NY }))).toBe(true); // a Monday
    expect(cronMatches(fields, DateTime.fromISO('2026-03-03T03:00', { zone: NY }))).toBe(false);
  });
});

describe('lastFireOnRunDate', () => {
  it('is undefined before the time, the fire instant after it', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-02', at('2026-03-02T02:59'), NY)).toBeUndefined();
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-02', at('2026-03-02T03:00'), NY)).toEqual(
      utc('2026-03-02T08:00:00Z'),
    );
    expect(lastFireOnRunDate('*/5 * * * *', '2026-03-02', at('2026-03-02T10:07'), NY)).toEqual(
      at('2026-03-02T10:05'),
    );
  });

  it('finds 03:00 on both DST days at the right instant (EDT on the 8th of March, EST on the 1st of November)', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-08', at('2026-03-08T12:00'), NY)).toEqual(
      utc('2026-03-08T07:00:00Z'),
    );
    expect(lastFireOnRunDate('0 3 * * *', '2026-11-01', at('2026-11-01T12:00'), NY)).toEqual(
      utc('2026-11-01T08:00:00Z'),
    );
  });

  it('on the fall-back day, a time in the repeated hour fires twice; the last one counts', () => {
    expect(lastFireOnRunDate('30 1 * * *', '2026-11-01', utc('2026-11-01T05:45:00Z'), NY)).toEqual(
      utc('2026-11-01T05:30:00Z'), // 01:30 EDT
    );
    expect(lastFireOnRunDate('30 1 * * *', '2026-11-01', utc('2026-11-01T07:00:00Z'), NY)).toEqual(
      utc('2026-11-01T06:30:00Z'), // 01:30 EST
    );
  });

  it('never looks past the end of the run_date', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-01', at('2026-03-05T12:00'), NY)).toEqual(
      at('2026-03-01T03:00'),
    );
  });
});

describe('isDueToday', () => {
  it('agrees with the fire instant on an ordinary day', () => {
    expect(isDueToday('0 3 * * *', '2026-03-02', at('2026-03-02T02:59'), NY)).toBe(false);
    expect(isDueToday('0 3 * * *', '2026-03-02', at('2026-03-02T03:00'), NY)).toBe(true);
    expect(isDueToday('0 4 * * *', '2026-03-02', at('2026-03-02T23:59'), NY)).toBe(true);
  });

  it('runs a time skipped by spring forward right after the jump (02:30 on 2026-03-08 does not exist)', () => {
    expect(lastFireOnRunDate('30 2 * * *', '2026-03-08', at('2026-03-08T12:00'), NY)).toBeUndefined();
    expect(isDueToday('30 2 * * *', '2026-03-08', utc('2026-03-08T06:59:00Z'), NY)).toBe(false); // 01:59 EST
    expect(isDueToday('30 2 * * *', '2026-03-08', utc('2026-03-08T07:00:00Z'), NY)).toBe(true); // 03:00 EDT
  });

  it('on the fall-back day, stays due through the repeated hour once its first occurrence passed', () => {
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T05:29:00Z'), NY)).toBe(false); // 01:29 EDT
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T05:30:00Z'), NY)).toBe(true); // 01:30 EDT
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T06:10:00Z'), NY)).toBe(true); // 01:10 EST
  });

  it('respects the day fields', () => {
    expect(isDueToday('0 3 * * 1', '2026-03-02', at('2026-03-02T05:00'), NY)).toBe(true); // Monday
    expect(isDueToday('0 3 * * 1', '2026-03-03', at('2026-03-03T05:00'), NY)).toBe(false); // Tuesday
  });
});
