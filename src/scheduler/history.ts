import type { NightCost, Prices } from '../coverage/cost-math.ts';
import { percentOf } from '../coverage/coverage-math.ts';
import { nightCosts } from '../coverage/night-cost.ts';
import type { Health, Ratio } from '../coverage/types.ts';
import type { Db } from '../db/client.ts';
import { earliestJobNight, type NightSpan, nightSpans } from '../queue/night-spans.ts';
import { earliestRecordedRunDate, type StepRunRow, stepRunsOf } from '../store/scheduler-run-history.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { addDays, runDateOf } from '../time/business-day.ts';

/**
 * The history of nights: the record of every step (scheduler_runs, read through
 * store/scheduler-run-history.ts) and the night's tasks (when its work really finished).
 */

/** The latest recorded postcheck report of a night (its readers have always found it here). */
export { getNight } from '../store/scheduler-run-history.ts';

export interface NightSummary {
  runDate: string;
  /** From the latest recorded postcheck of the night (after repairs); null when none was recorded. */
  health: Health | null;
  promptCoverage: Ratio | null;
}

export interface PostcheckSummary {
  runId: number;
  health: Health;
  promptCoverage: Ratio;
  orgCoverage: Ratio;
  checkedAt: Date;
}

export interface HistoryEntry extends NightSummary {
  orgCoverage: Ratio | null;
  /** The latest postcheck (what health and coverage come from). */
  latest: PostcheckSummary | null;
  /** The scheduled postcheck (run_key = run_date): the night before any later repair. */
  scheduled: PostcheckSummary | null;
  /** Repairs of the night that enqueued work, and who started them (in order). */
  repairs: { count: number; by: string[] };
  /** Reruns of one org that enqueued work, counted apart from repairs. */
  reruns: { count: number; by: string[] };
  /** The trigger's (or a manual run's) start, else the first task's creation. */
  startedAt: Date | null;
  /** The last task's completion, else the latest postcheck's. */
  finishedAt: Date | null;
  durationMs: number | null;
  /** The night's calls, tokens and cost; present when the query gave prices. */
  cost?: NightCost;
  /** When retention removed the night's queue rows: its figures are as recorded, its details gone. */
  detailsPrunedAt?: Date;
}

export interface HistoryQuery {
  /** How many nights, counting back from `offset` nights before today. */
  days: number;
  offset?: number;
  now: Date;
  timezone: string;
  /** Prices of each provider (config): with them every entry carries the night's cost. */
  prices?: Prices;
}

const STEP_FUNCTIONS = [
  FUNCTION_NAMES.trigger,
  FUNCTION_NAMES.manualRun,
  FUNCTION_NAMES.postcheck,
  FUNCTION_NAMES.repair,
  FUNCTION_NAMES.rerun,
];
const START_FUNCTIONS: readonly string[] = [FUNCTION_NAMES.trigger, FUNCTION_NAMES.manualRun];

/**
 * One entry per run_date, newest first: `days` calendar days ending `offset` days before today
 * (in `timezone`). Days before the first recorded activity are left out, so a new install shows
 * no fake gaps; a day after it with nothing recorded stays in the list (a missed night).
 */
export async function listHistory(db: Db, query: HistoryQuery): Promise<HistoryEntry[]> {
  const earliest = await earliestRunDate(db);
  if (earliest === undefined || query.days <= 0) return [];
  const newest = addDays(runDateOf(query.now, query.timezone), -(query.offset ?? 0));
  const dates: string[] = [];
  for (let i = 0; i < query.days; i++) {
    const date = addDays(newest, -i);
    if (date < earliest) break;
    dates.push(date);
  }
  if (dates.length === 0) return [];
  const [runs, tasks, costs] = await Promise.all([
    stepRunsOf(db, { dates, functionNames: STEP_FUNCTIONS }),
    nightSpans(db, dates),
    query.prices ? nightCosts(db, { runDates: dates, prices: query.prices }) : undefined,
  ]);
  return dates.map((runDate) => {
    const entry = historyEntry(
      runDate,
      runs.filter((r) => r.run_date === runDate),
      tasks.find((t) => t.run_date === runDate),
    );
    const cost = costs?.get(runDate);
    return cost ? { ...entry, cost } : entry;
  });
}

/** The first night with a job or a recorded step (YYYY-MM-DD strings compare as dates). */
async function earliestRunDate(db: Db): Promise<string | undefined> {
  const [job, step] = await Promise.all([earliestJobNight(db), earliestRecordedRunDate(db)]);
  const dates = [job, step].filter((d): d is string => d !== undefined);
  return dates.sort()[0];
}

const toDate = (value: Date | string | null | undefined) =>
  value === null || value === undefined ? null : new Date(value);

function ratioOf(numerator: number, denominator: number): Ratio {
  return { numerator, denominator, percent: percentOf(numerator, denominator) };
}

function postcheckSummary(row: StepRunRow): PostcheckSummary | null {
  const completed = toDate(row.completed_at);
  if (row.status !== 'completed' || completed === null) return null;
  if (row.health !== 'HEALTHY' && row.health !== 'NEEDS_ATTENTION') return null;
  return {
    runId: Number(row.id),
    health: row.health,
    promptCoverage: ratioOf(row.prompts_run ?? 0, row.prompts_expected ?? 0),
    orgCoverage: ratioOf(row.orgs_found ?? 0, row.orgs_expected ?? 0),
    checkedAt: completed,
  };
}

/** Pure: one night's rows -> its history entry. */
function historyEntry(runDate: string, runs: StepRunRow[], tasks: NightSpan | undefined): HistoryEntry {
  const checks = runs
    .filter((r) => r.function_name === FUNCTION_NAMES.postcheck)
    .map((r) => ({ row: r, summary: postcheckSummary(r) }))
    .filter((c): c is { row: StepRunRow; summary: PostcheckSummary } => c.summary !== null)
    .sort(
      (a, b) =>
        a.summary.checkedAt.getTime() - b.summary.checkedAt.getTime() || Number(a.row.id) - Number(b.row.id),
    );
  const latest = checks.at(-1)?.summary ?? null;
  const scheduled = checks.find((c) => c.row.run_key === runDate)?.summary ?? null;

  // A repair or rerun that enqueued nothing (everything already ran or was queued) changed nothing.
  const enqueued = (name: string) => {
    const list = runs.filter(
      (r) => r.function_name === name && r.status === 'completed' && (r.tasks ?? 0) > 0,
    );
    return { count: list.length, by: [...new Set(list.map((r) => r.triggered_by))] };
  };

  const starts = runs
    .filter((r) => START_FUNCTIONS.includes(r.function_name))
    .map((r) => toDate(r.started_at))
    .filter((d): d is Date => d !== null)
    .sort((a, b) => a.getTime() - b.getTime());
  const startedAt = starts[0] ?? toDate(tasks?.first_created);
  const finishedAt = toDate(tasks?.last_completed) ?? latest?.checkedAt ?? null;
  const durationMs =
    startedAt && finishedAt && finishedAt >= startedAt ? finishedAt.getTime() - startedAt.getTime() : null;

  const prunedAt = toDate(tasks?.pruned_at);
  return {
    ...(prunedAt ? { detailsPrunedAt: prunedAt } : {}),
    runDate,
    health: latest?.health ?? null,
    promptCoverage: latest?.promptCoverage ?? null,
    orgCoverage: latest?.orgCoverage ?? null,
    latest,
    scheduled,
    repairs: enqueued(FUNCTION_NAMES.repair),
    reruns: enqueued(FUNCTION_NAMES.rerun),
    startedAt,
    finishedAt,
    durationMs,
  };
}
