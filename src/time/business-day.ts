import { DateTime } from 'luxon';

/**
 * Business-day math. A run_date is the calendar date in the scheduling zone (default
 * America/New_York), never a UTC date. Every function takes `now` and the zone explicitly.
 */

export type RunDate = string; // 'YYYY-MM-DD'

const RUN_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The run_date of an instant in a zone. */
export function runDateOf(instant: Date, zone: string): RunDate {
  return DateTime.fromJSDate(instant, { zone }).toISODate() as RunDate;
}

/** Parses a user-supplied date; undefined when it is not a real calendar date (2026-02-30). */
export function parseRunDate(text: string): RunDate | undefined {
  if (!RUN_DATE_PATTERN.test(text)) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'UTC' });
  return parsed.isValid && parsed.toISODate() === text ? text : undefined;
}

/** The half-open instant range [start, end) of a run_date: 23, 24 or 25 hours long. */
export function runDateRange(runDate: RunDate, zone: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(runDate, { zone }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).startOf('day').toJSDate() };
}

export function addDays(runDate: RunDate, days: number): RunDate {
  return DateTime.fromISO(runDate, { zone: 'UTC' }).plus({ days }).toISODate() as RunDate;
}

/** Inclusive list of run_dates from `from` to `to`. */
export function runDatesBetween(from: RunDate, to: RunDate): RunDate[] {
  const dates: RunDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) dates.push(d);
  return dates;
}

/** The wall-clock time of a day in a zone as an instant; a time skipped by DST moves forward. */
export function instantAt(runDate: RunDate, hour: number, minute: number, zone: string): Date {
  return DateTime.fromISO(runDate, { zone }).set({ hour, minute, second: 0, millisecond: 0 }).toJSDate();
}

/** Length of a business day in hours (23 on the spring-forward day, 25 on the fall-back day). */
export function hoursInRunDate(runDate: RunDate, zone: string): number {
  const { start, end } = runDateRange(runDate, zone);
  return (end.getTime() - start.getTime()) / 3_600_000;
}
