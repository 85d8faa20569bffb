import { DateTime } from 'luxon';
import { addDays, runDateOf } from '../time/business-day.ts';
import { lastFireOnRunDate } from '../time/cron-matcher.ts';

/**
 * The watchdog's rule, pure: a nightly step is late when its cron time of today passed
 * LATE_AFTER_MINUTES ago and the trigger has not started (no running or completed run row) or
 * the postcheck has not finished (no completed row). A failed or `skipped` trigger has not
 * started the night, so it counts as not started. Only today's steps: the catch-up check runs
 * today's, so yesterday's are history, not an alert (a night that never ran is missed-nights.ts's).
 * A step whose time came before the database was set up is never late: nothing was owed then.
 */

export const LATE_AFTER_MINUTES = 15;

export type DailyStepName = 'trigger' | 'postcheck';

export interface LateStep {
  step: DailyStepName;
  runDate: string;
  /** The step's cron time today. */
  dueAt: Date;
}

/** scheduler_runs.status of today's scheduled run of each step (run_key = run_date), null without one. */
export interface StepStatuses {
  trigger: string | null;
  postcheck: string | null;
}

export const stepIsDone = (step: DailyStepName, status: string | null): boolean =>
  step === 'trigger' ? status === 'running' || status === 'completed' : status === 'completed';

export function lateSteps(input: {
  cron: { trigger: string; postcheck: string };
  zone: string;
  now: Date;
  statuses: StepStatuses;
  /** When the database was first set up: a step whose time came before it is not late. */
  installedAt?: Date | undefined;
}): LateStep[] {
  const { cron, zone, now, statuses, installedAt } = input;
  const runDate = runDateOf(now, zone);
  const late: LateStep[] = [];
  for (const step of ['trigger', 'postcheck'] as const) {
    if (stepIsDone(step, statuses[step])) continue;
    const dueAt = dueAtToday(cron[step], runDate, now, zone);
    if (!dueAt || (installedAt && dueAt.getTime() < installedAt.getTime())) continue;
    if (now.getTime() - dueAt.getTime() < LATE_AFTER_MINUTES * 60_000) continue;
    late.push({ step, runDate, dueAt });
  }
  return late;
}

/**
 * The step's cron time of today up to now. A time the day never had (02:30 on the spring-forward
 * day) has no real fire, yet the catch-up runs the step once the wall clock has passed it
 * (isDueToday): its due time is then that wall-clock time, which luxon moves past the jump (03:30).
 */
function dueAtToday(expression: string, runDate: string, now: Date, zone: string): Date | undefined {
  const fire = lastFireOnRunDate(expression, runDate, now, zone);
  if (fire) return fire;
  const local = DateTime.fromJSDate(now, { zone });
  // The wall clock as a UTC instant: UTC has no DST, so every wall-clock minute of the day exists.
  const wallClock = DateTime.fromObject(local.toObject(), { zone: 'UTC' }).toJSDate();
  const wallFire = lastFireOnRunDate(expression, runDate, wallClock, 'UTC');
  if (!wallFire) return undefined;
  const { year, month, day, hour, minute } = DateTime.fromJSDate(wallFire, { zone: 'UTC' });
  return DateTime.fromObject({ year, month, day, hour, minute }, { zone }).toJSDate();
}

/**
 * The past nights that were owed a run: each day from the backfill window's start (or the day of
 * the install, if later) to yesterday whose trigger time came after the database was set up.
 * Today is the late and overdue checks' business. Which of them never ran is a database question.
 */
export function owedNights(input: {
  triggerCron: string;
  zone: string;
  now: Date;
  installedAt: Date;
  backfillDays: number;
}): string[] {
  const { triggerCron, zone, now, installedAt, backfillDays } = input;
  const today = runDateOf(now, zone);
  const owed: string[] = [];
  for (let back = Math.max(1, backfillDays); back >= 1; back--) {
    const day = addDays(today, -back);
    const fire = lastFireOnRunDate(triggerCron, day, now, zone);
    if (fire && fire.getTime() >= installedAt.getTime()) owed.push(day);
  }
  return owed;
}
