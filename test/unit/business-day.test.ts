import { describe, expect, it } from 'vitest';
import {
  addDays,
  hoursInRunDate,
  instantAt,
  parseRunDate,
  runDateOf,
  runDateRange,
  runDatesBetween,
} from '../../src/time/business-day.ts';

const NY = 'America/New_York';

describe('runDateOf', () => {
  it('uses the New York calendar date, not the UTC one', () => {
    // 2026-11-28 03:30 UTC is still 22:30 on the 27th in New York.
    expect(runDateOf(new Date('2026-11-28T03:30:00Z'), NY)).toBe('2026-11-27');
    expect(runDateOf(new Date('2026-11-28T05:00:00Z'), NY)).toBe('2026-11-28');
  });

  it('puts 23:30 New York time on the same business day', () => {
    expect(runDateOf(new Date('2026-06-15T03:30:00Z'), NY)).toBe('2026-06-14');
  });

  it('works in another zone', () => {
    expect(runDateOf(new Date('2026-03-28T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-03-29');
    expect(runDateOf(new Date('2026-03-29T00:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
  });
});

describe('runDateRange across DST', () => {
  it('spring-forward day 2026-03-08 has 23 hours in New York', () => {
    const { start, end } = runDateRange('2026-03-08', NY);
    expect(start.toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(end.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(hoursInRunDate('2026-03-08', NY)).toBe(23);
  });

  it('fall-back day 2026-11-01 has 25 hours in New York', () => {
    const { start, end } = runDateRange('2026-11-01', NY);
    expect(start.toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(end.toISOString()).toBe('2026-11-02T05:00:00.000Z');
    expect(hoursInRunDate('2026-11-01', NY)).toBe(25);
  });

  it('Europe/Berlin switches on its own days (2026-03-29 and 2026-10-25)', () => {
    expect(hoursInRunDate('2026-03-29', 'Europe/Berlin')).toBe(23);
    expect(hoursInRunDate('2026-10-25', 'Europe/Berlin')).toBe(25);
    expect(hoursInRunDate('2026-03-08', 'Europe/Berlin')).toBe(24);
  });

  it('every instant of a DST day maps back to that day', () => {
    for (const day of ['2026-03-08', '2026-11-01']) {
      const { start, end } = runDateRange(day, NY);
      for (let t = start.getTime(); t < end.getTime(); t += 15 * 60_000) {
        expect(runDateOf(new Date(t), NY)).toBe(day);
      }
      expect(runDateOf(end, NY)).toBe(addDays(day, 1));
    }
  });

  it('03:00 on the DST days is the right instant', () => {
    expect(instantAt('2026-03-08', 3, 0, NY).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(instantAt('2026-11-01', 3, 0, NY).toISOString()).toBe('2026-11-01T08:00:00.000Z');
  });
});

describe('parseRunDate', () => {
  it('accepts real dates and rejects the rest', () => {
    expect(parseRunDate('2026-02-28')).toBe('2026-02-28');
    expect(parseRunDate('2028-02-29')).toBe('2028-02-29');
    expect(parseRunDate('2026-02-29')).toBeUndefined();
    expect(parseRunDate('2026-13-01')).toBeUndefined();
    expect(parseRunDate('2026-1-1')).toBeUndefined();
    expect(parseRunDate("2026-01-01'; drop table prompts;--")).toBeUndefined();
  });

  it('lists dates across a month end', () => {
    expect(runDatesBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });
});
