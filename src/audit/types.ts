/**
 * What `sched audit` finds: each broken invariant is one violation with the rows involved and
 * what to do about it. A note is something the operator should know that is not a fault (for
 * example: the postcheck's figures differ from today's because the night changed since).
 */

export type AuditCheck =
  | 'night_not_triggered'
  | 'unit_without_task'
  | 'nightly_twice'
  | 'duplicate_success'
  | 'response_without_task'
  | 'lease_overdue'
  | 'live_task_too_old'
  | 'live_task_provider_disabled'
  | 'attempts_over_max'
  | 'job_counts_wrong'
  | 'task_counts_wrong'
  | 'job_closed_with_live_tasks'
  | 'job_not_closed'
  | 'run_stuck'
  | 'postcheck_missing'
  | 'postcheck_figures_differ'
  | 'report_not_recorded'
  | 'report_stale'
  /** A note only: retention removed the night's queue rows, so its queue checks have nothing to read. */
  | 'night_pruned';

/** One row involved in a violation: whatever identifies it (task, response, job or run ids; org, prompt, provider). */
export type AuditRow = Record<string, string | number | null>;

export interface AuditViolation {
  check: AuditCheck;
  /** The run_date it belongs to; null for checks that span every night (stuck runs, old live tasks). */
  runDate: string | null;
  /** One sentence: what is wrong. */
  message: string;
  /** How many rows are involved; `rows` lists at most ROWS_SHOWN of them. */
  count: number;
  rows: AuditRow[];
  /** What to do about it; `fixable` says whether `--fix` repairs it. */
  advice: string;
  fixable: boolean;
}

export interface AuditNote {
  check: AuditCheck;
  runDate: string | null;
  message: string;
}

export interface AuditFix {
  what: string;
  count: number;
}

export interface AuditResult {
  runDates: string[];
  checkedAt: string;
  ok: boolean;
  violations: AuditViolation[];
  notes: AuditNote[];
  /** What `--fix` changed (empty without it). */
  fixed: AuditFix[];
}

/** A violation lists this many of its rows; `count` tells how many there are in all. */
export const ROWS_SHOWN = 20;
