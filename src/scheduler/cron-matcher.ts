import { DateTime } from 'luxon';
import { validateDetailed } from 'node-cron';
import type { RunDate } from './business-day.ts';
import { runDateRange } from './business-day.ts';

/**
 * Pure five-field cron matching (minute hour day-of-month month day-of-week), used to ask
 * "was this step due earlier today?" for the catch-up check. node-cron only fires; it cannot
 * tell what was missed while the process was down.
 */

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  domAny: boolean;
  dowAny: boolean;
}

function parseField(field: string, min: number, max: number): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [rangePart, stepPart] = part.split('/');
    const step = stepPart === undefined ? 1 : Number(stepPart);
    let low = min;
    let high = max;
    if (rangePart !== '*' && rangePart !== undefined) {
      const [a, b] = rangePart.split('-');
      low = Number(a);
      high = b === undefined ? (stepPart === undefined ? low : max) : Number(b);
    }
    if (![low, high, step].every(Number.isInteger) || step < 1 || low < min || high > max || low > high) {
      throw new Error(`invalid cron field "${field}"`);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron expression "${expression}" must have 5 fields`);
  const [minute, hour, dom, month, dow] = parts as [string, string, string, string, string];
  const daysOfWeek = parseField(dow, 0, 7);
  if (daysOfWeek.has(7)) daysOfWeek.add(0);
  return {
    minutes: parseField(minute, 0, 59),
    hours: parseField(hour, 0, 23),
    daysOfMonth: parseField(dom, 1, 31),
    months: parseField(month, 1, 12),
    daysOfWeek,
    domAny: dom === '*',
    dowAny: dow === '*',
  };
}

/**
 * Why the scheduler cannot use `expression`, or undefined when it can: node-cron must accept it
 * (it fires the step) and so must the catch-up parser above (it asks what was due today).
 * Config validation calls this, so an expression either works in both or stops the start.
 */
export function cronExpressionProblem(expression: string): string | undefined {
  const fired = validateDetailed(expression);
  if (!fired.valid) {
    const reasons = fired.errors.map((e) => e.message);
    return `not a valid cron expression (${reasons.join(', ') || 'unreadable'})`;
  }
  try {
    parseCron(expression);
    return undefined;
  } catch (error) {
    return `not readable by the catch-up check: ${(error as Error).message}`;
  }
}

export function cronMatches(fields: CronFields, local: DateTime): boolean {
  if (!fields.minutes.has(local.minute) || !fields.hours.has(local.hour) || !fields.months.has(local.month)) {
    return false;
  }
  const domOk = fields.daysOfMonth.has(local.day);
  const dowOk = fields.daysOfWeek.has(local.weekday % 7);
  // Classic cron: when both day fields are restricted, either one matching is enough.
  if (!fields.domAny && !fields.dowAny) return domOk || dowOk;
  return domOk && dowOk;
}

/**
 * The last instant of `runDate` at or before `now` when the expression fires, or undefined.
 * Walks the day's wall-clock minutes, so DST days (23 or 25 hours) are handled by luxon.
 */
export function lastFireOnRunDate(
  expression: string,
  runDate: RunDate,
  now: Date,
  zone: string,
): Date | undefined {
  const fields = parseCron(expression);
  const { start, end } = runDateRange(runDate, zone);
  const limit = Math.min(end.getTime() - 1, now.getTime());
  let last: Date | undefined;
  for (let t = start.getTime(); t <= limit; t += 60_000) {
    if (cronMatches(fields, DateTime.fromMillis(t, { zone }))) last = new Date(t);
  }
  return last;
}
