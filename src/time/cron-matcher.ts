import { type CronExpression, CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import { validateDetailed } from 'node-cron';
import type { RunDate } from './business-day.ts';
import { runDateRange } from './business-day.ts';

/**
 * The scheduler's one cron grammar. node-cron fires the steps; this module answers "when was this
 * step due on a run_date?" for the catch-up check and /healthz, and config validation asks it
 * whether an expression is usable at all. Both must agree on every expression that starts, so:
 *
 * - The grammar is node-cron's: its own parser reads the expression (numbers, `*`, ranges,
 *   wrap-around ranges like `FRI-MON`, steps, lists, month and day names in any case, full or
 *   short, `7` for Sunday, `?`, the `@daily`-style nicknames). Its numeric fields are rewritten
 *   as plain lists and cron-parser does the date arithmetic (`prev()` in the scheduling zone).
 * - Refused at config load (a clear message, exit 78), because the catch-up cannot promise to
 *   agree on them: a sixth (seconds) field (the scheduler works in whole minutes), and the
 *   day tokens `L`, `W`, `#` (last day, nearest weekday, nth weekday).
 * - Day fields: node-cron fires only when day-of-month AND day-of-week both match (`0 3 13 * 5`
 *   is Friday the 13th). Classic cron would take either; this module follows node-cron.
 * - DST, deliberately different from node-cron: a wall-clock time that spring-forward skips
 *   (02:30 on 2026-03-08 in New York) never fires in node-cron, yet `isDueToday` holds from the
 *   jump on, so the catch-up still runs the step that day. A time repeated by fall-back fires at
 *   both instants, as in node-cron; the step runs once per run_date anyway (scheduler_runs).
 */

/** An expression read by the scheduler's grammar. */
export interface CronSchedule {
  /** As configured. */
  readonly expression: string;
  /** The same schedule as five plain numeric fields (minute hour day-of-month month day-of-week). */
  readonly canonical: string;
  /** Minute, hour, day of month and month; day of week left open. */
  readonly days: string;
  /** Minute, hour, month and day of week; day of month left open (undefined when both are `*`). */
  readonly weekdays: string | undefined;
}

const BOUNDS = {
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [0, 6],
} as const;

const NICKNAMES = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/i;

class CronGrammarError extends Error {}

/** One field of node-cron's reading as a cron list, `*` when it covers the whole range. */
function listOf(field: keyof typeof BOUNDS, values: readonly (number | string)[]): string {
  if (values.some((v) => typeof v !== 'number')) {
    throw new CronGrammarError(
      'uses L, W or # (last day, nearest weekday, nth weekday), which the catch-up check does not read; list the days instead',
    );
  }
  const [min, max] = BOUNDS[field];
  const numbers = [...new Set(values as number[])].sort((a, b) => a - b);
  return numbers.length === max - min + 1 ? '*' : numbers.join(',');
}

function read(expression: string): CronSchedule {
  const checked = validateDetailed(expression);
  if (!checked.valid || !checked.fields) {
    // node-cron says "99 is a invalid expression for minute": said again in plain English.
    const reasons = checked.errors.map((e) =>
      e.message.replace(/^(.*) is a invalid expression for (\w+)$/, '$1 is not a valid $2'),
    );
    throw new CronGrammarError(`not a valid cron expression (${reasons.join(', ') || 'unreadable'})`);
  }
  const trimmed = expression.trim();
  if (!NICKNAMES.test(trimmed) && trimmed.split(/\s+/).length !== 5) {
    throw new CronGrammarError(
      'has a seconds field; the scheduler works in whole minutes: use 5 fields (minute hour day-of-month month day-of-week)',
    );
  }
  const f = checked.fields;
  const minute = listOf('minute', f.minute);
  const hour = listOf('hour', f.hour);
  const dayOfMonth = listOf('dayOfMonth', f.dayOfMonth);
  const month = listOf('month', f.month);
  const dayOfWeek = listOf('dayOfWeek', f.dayOfWeek);
  const schedule: CronSchedule = {
    expression,
    canonical: `${minute} ${hour} ${dayOfMonth} ${month} ${dayOfWeek}`,
    days: `${minute} ${hour} ${dayOfMonth} ${month} *`,
    weekdays: dayOfWeek === '*' ? undefined : `${minute} ${hour} * ${month} ${dayOfWeek}`,
  };
  try {
    // Refuses what can never fire in cron-parser's calendar too (the 30th of February).
    for (const text of [schedule.days, schedule.weekdays]) if (text) CronExpressionParser.parse(text);
  } catch (error) {
    throw new CronGrammarError(`not readable by the catch-up check: ${(error as Error).message}`);
  }
  return schedule;
}

const cache = new Map<string, CronSchedule>();
/** cron-parser's error when a walk leaves the [startDate, endDate] span (not exported by its ESM entry). */
const OUT_OF_SPAN = 'Out of the time span range';

/** Reads an expression in the scheduler's grammar; throws with the reason when it cannot. */
export function parseCron(expression: string): CronSchedule {
  let schedule = cache.get(expression);
  if (!schedule) {
    schedule = read(expression);
    if (cache.size >= 64) cache.clear();
    cache.set(expression, schedule);
  }
  return schedule;
}

/**
 * Why the scheduler cannot use `expression`, or undefined when it can. Config validation calls
 * this, so an expression that starts the process also fires and catches up every night.
 */
export function cronExpressionProblem(expression: string): string | undefined {
  try {
    parseCron(expression);
    return undefined;
  } catch (error) {
    if (error instanceof CronGrammarError) return error.message;
    return `not a valid cron expression (${(error as Error).message})`;
  }
}

const scheduleOf = (expression: string | CronSchedule) =>
  typeof expression === 'string' ? parseCron(expression) : expression;

function iterator(text: string, currentDate: Date, zone: string, startDate?: Date): CronExpression {
  return CronExpressionParser.parse(text, { currentDate, tz: zone, startDate });
}

/** Does the expression fire at `instant` (node-cron's match, to the minute) in `zone`? */
export function isFireTime(expression: string | CronSchedule, instant: Date, zone: string): boolean {
  if (instant.getUTCSeconds() !== 0 || instant.getUTCMilliseconds() !== 0) return false;
  const schedule = scheduleOf(expression);
  return [schedule.days, schedule.weekdays].every(
    (text) => text === undefined || iterator(text, instant, zone).includesDate(instant),
  );
}

/** Does the wall-clock time of `local` (in its own zone) match? Kept for callers of the old API. */
export function cronMatches(expression: string | CronSchedule, local: DateTime): boolean {
  return isFireTime(expression, local.startOf('minute').toJSDate(), local.zoneName ?? 'UTC');
}

/**
 * The last instant of `runDate` at or before `now` when the expression fires, or undefined.
 * cron-parser walks back in `zone`, so DST days (23 or 25 hours) fire at their real instants.
 */
export function lastFireOnRunDate(
  expression: string,
  runDate: RunDate,
  now: Date,
  zone: string,
): Date | undefined {
  const schedule = parseCron(expression);
  const { start, end } = runDateRange(runDate, zone);
  const limit = Math.min(end.getTime() - 1, now.getTime());
  if (limit < start.getTime()) return undefined;
  let fire: Date;
  try {
    // startDate stops the walk back at the start of the day instead of at the previous fire.
    fire = iterator(schedule.days, new Date(limit + 1), zone, start)
      .prev()
      .toDate();
  } catch (error) {
    if ((error as Error).message === OUT_OF_SPAN) return undefined;
    throw error;
  }
  if (fire.getTime() < start.getTime()) return undefined;
  // Every candidate of the day shares its date, so the day of week decides for all of them.
  if (schedule.weekdays && !iterator(schedule.weekdays, new Date(limit + 1), zone).includesDate(fire)) {
    return undefined;
  }
  return fire;
}

/**
 * Has the step's time come on run_date? Either the expression fired at a real instant of the day
 * up to now, or its wall-clock time has passed on the local clock: the second catches a time that
 * the spring-forward jump skipped (02:30 on 2026-03-08 in New York), which node-cron never fires
 * and which the catch-up runs right after the jump.
 */
export function isDueToday(expression: string, runDate: RunDate, now: Date, zone: string): boolean {
  if (lastFireOnRunDate(expression, runDate, now, zone) !== undefined) return true;
  const local = DateTime.fromJSDate(now, { zone });
  const today = local.toISODate() ?? '';
  if (today < runDate) return false;
  // The wall clock as a UTC instant: UTC has no DST, so every wall-clock minute of the day exists.
  const wallClock =
    today === runDate
      ? DateTime.fromObject(local.toObject(), { zone: 'UTC' }).toJSDate()
      : runDateRange(runDate, 'UTC').end;
  return lastFireOnRunDate(expression, runDate, wallClock, 'UTC') !== undefined;
}

/** The gap between two consecutive fires after `now`, in seconds (how often a step runs). */
export function secondsBetweenFires(expression: string, now: Date, zone: string): number {
  const ticks = CronExpressionParser.parse(parseCron(expression).canonical, { currentDate: now, tz: zone });
  const first = ticks.next().getTime();
  return Math.round((ticks.next().getTime() - first) / 1000);
}
