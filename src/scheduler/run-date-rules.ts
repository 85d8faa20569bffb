import { addDays, type RunDate } from '../time/business-day.ts';

/**
 * The one rule for which run_date an operation may write, pure: every entry point
 * (scheduler services, CLI, HTTP, Slack, console) asks it through assertRunDateAllowed before
 * anything is written.
 * - never a date after today (it would run tomorrow's prompts today);
 * - `trigger` and `manual` for a past date are a backfill, allowed for BACKFILL_DAYS days back;
 * - `repair` and `rerun` only for a run_date that had a trigger (a completed trigger row): on a
 *   night that never ran they would quietly run a whole night, of any date, as a "repair";
 *   and not for a night whose queue rows retention removed: what ran and what failed is gone.
 */

export type RunDatePurpose = 'trigger' | 'manual' | 'repair' | 'rerun';
export type RunDateRefusal = 'future' | 'beyond_backfill' | 'not_triggered' | 'pruned';

export type RunDateVerdict =
  | { ok: true; backfill: boolean }
  | { ok: false; refusal: RunDateRefusal; message: string };

export interface RunDateQuestion {
  runDate: RunDate;
  purpose: RunDatePurpose;
  /** Today's run_date in the scheduling zone. */
  today: RunDate;
  timezone: string;
  backfillDays: number;
  /** Whether run_date has a completed trigger row (only read for repair and rerun). */
  triggered: boolean;
  /** When retention removed the night's queue rows, if it did (only read for repair and rerun). */
  prunedAt?: Date | undefined;
}

export const needsTrigger = (purpose: RunDatePurpose) => purpose === 'repair' || purpose === 'rerun';

export function checkRunDate(q: RunDateQuestion): RunDateVerdict {
  if (q.runDate > q.today) {
    return {
      ok: false,
      refusal: 'future',
      message: `${q.runDate} is in the future (today is ${q.today} in ${q.timezone}); nothing to run yet`,
    };
  }
  const earliest = addDays(q.today, -q.backfillDays);
  if (needsTrigger(q.purpose)) {
    if (q.prunedAt) {
      return {
        ok: false,
        refusal: 'pruned',
        message:
          `The details of ${q.runDate} were removed by retention (QUEUE_RETENTION_DAYS) on ` +
          `${q.prunedAt.toISOString().slice(0, 10)}: its figures are kept, but it can no longer be ${q.purpose === 'repair' ? 'repaired' : 'rerun'}.`,
      };
    }
    if (q.triggered) return { ok: true, backfill: false };
    const hint =
      q.runDate >= earliest
        ? `; backfill it first with \`sched trigger --date ${q.runDate}\``
        : `, and it is older than the ${q.backfillDays}-day backfill window (BACKFILL_DAYS)`;
    return {
      ok: false,
      refusal: 'not_triggered',
      message: `No trigger ran for ${q.runDate}, so there is nothing to ${q.purpose}${hint}.`,
    };
  }
  if (q.runDate === q.today) return { ok: true, backfill: false };
  if (q.runDate < earliest) {
    return {
      ok: false,
      refusal: 'beyond_backfill',
      message: `${q.runDate} is before ${earliest}: a past night may be backfilled for ${q.backfillDays} days at most (BACKFILL_DAYS)`,
    };
  }
  return { ok: true, backfill: true };
}
