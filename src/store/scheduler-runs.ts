import { param, type SQL, sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';

/**
 * `scheduler_runs` decides whether a step ran: unique (function_name, run_key). A scheduled step
 * uses the run_date as run_key; an ad-hoc run gets a unique key so every run is recorded.
 * Every write to the table is in this file (scripts/check-table-writers.mjs holds it to that).
 */

export const FUNCTION_NAMES = {
  trigger: 'daily-batch-trigger',
  reconciler: 'batch-reconciler',
  postcheck: 'scheduler-postcheck',
  manualRun: 'manual-daily-run',
  repair: 'repair',
  rerun: 'rerun',
} as const;
export type FunctionName = (typeof FUNCTION_NAMES)[keyof typeof FUNCTION_NAMES];

/** scheduler_runs row (function_name, run_key = run_date) that marks a Slack repair in progress. */
export const ACTIVE_REPAIR_FUNCTION = 'slack-repair';
/** A claim whose repair has no live task left after this long is over (its watcher died). */
const ORPHAN_GRACE_MINUTES = 2;

/** A step whose owner died keeps its row `running`; after this long another instance may take it over. */
export const STALE_RUN_MINUTES = 30;

export interface ClaimedRun {
  id: number;
}

/**
 * Claims (function_name, run_key): returns the new run, or undefined when another instance
 * already ran it or is running it. A `failed` or `skipped` run (a trigger that found nothing
 * expected), or a `running` one abandoned for STALE_RUN_MINUTES, is taken over.
 */
export async function claimRun(
  db: Db,
  params: { functionName: FunctionName; runKey: string; triggeredBy: string; now: Date },
): Promise<ClaimedRun | undefined> {
  const { functionName, runKey, triggeredBy, now } = params;
  return queryOne<ClaimedRun>(
    db,
    sql`insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
        values (${functionName}, ${runKey}, 'running', ${now.toISOString()}::timestamptz, ${triggeredBy})
        on conflict (function_name, run_key) do update
          set status = 'running', started_at = excluded.started_at, triggered_by = excluded.triggered_by,
              completed_at = null, error = null, result = null, expected_units = null
          where scheduler_runs.status in ('failed', 'skipped')
             or (scheduler_runs.status = 'running'
                 and scheduler_runs.started_at < excluded.started_at - make_interval(mins => ${STALE_RUN_MINUTES}))
        returning id`,
  );
}

export async function finishRun(
  db: Db,
  params: {
    runId: number;
    outcome: { status: 'completed' | 'failed' | 'skipped'; result?: unknown; error?: string };
    now: Date;
    /** What the night expected when the step ran (coverage/expected-fingerprint.ts); the audit reads it. */
    expectedUnits?: unknown;
  },
): Promise<void> {
  const { runId, outcome, now, expectedUnits } = params;
  await db.execute(
    sql`update scheduler_runs
        set status = ${outcome.status}, completed_at = ${now.toISOString()}::timestamptz,
            result = ${outcome.result === undefined ? null : JSON.stringify(outcome.result)}::jsonb,
            error = ${outcome.error ?? null},
            expected_units = ${expectedUnits === undefined ? null : JSON.stringify(expectedUnits)}::jsonb
        where id = ${runId}`,
  );
}

export async function hasRun(
  db: Db,
  params: { functionName: FunctionName; runKey: string },
): Promise<boolean> {
  const { functionName, runKey } = params;
  const row = await queryOne<{ one: number }>(
    db,
    sql`select 1 as one from scheduler_runs where function_name = ${functionName} and run_key = ${runKey}`,
  );
  return row !== undefined;
}

/**
 * What the night's trigger and postcheck recorded, whichever entry point ran them: the scheduler
 * (run key = run_date), the CLI, HTTP or the console's `night` (ad-hoc keys `run_date/...`). The
 * best row of each step counts: completed, else running, else the latest other.
 */
export interface RecordedSteps {
  trigger: string | null;
  postcheck: string | null;
  /** overallHealth of the latest completed postcheck. */
  postcheckHealth: string | null;
}

export async function recordedSteps(db: Db, runDate: string): Promise<RecordedSteps> {
  const best = (name: string, field: string) => sql`(
    select ${sql.raw(field)} from scheduler_runs
    where function_name = ${name} and (run_key = ${runDate} or run_key like ${`${runDate}/%`})
    order by case status when 'completed' then 0 when 'running' then 1 else 2 end,
             coalesce(completed_at, started_at) desc, id desc
    limit 1)`;
  const row = await queryOne<RecordedSteps>(
    db,
    sql`select ${best(FUNCTION_NAMES.trigger, 'status')} as trigger,
               ${best(FUNCTION_NAMES.postcheck, 'status')} as postcheck,
               ${best(FUNCTION_NAMES.postcheck, "result->'summary'->>'overallHealth'")} as "postcheckHealth"`,
  );
  return row ?? { trigger: null, postcheck: null, postcheckHealth: null };
}

/** Which of `runDates` have a scheduled trigger that ran or is running (what a missed night lacks). */
export async function nightsWithTrigger(db: Db, runDates: string[]): Promise<Set<string>> {
  const rows = await queryRows<{ run_key: string }>(
    db,
    sql`select run_key from scheduler_runs
        where function_name = ${FUNCTION_NAMES.trigger} and run_key = any(${param(runDates)}::text[])
          and status in ('running', 'completed')`,
  );
  return new Set(rows.map((r) => r.run_key));
}

/** Whether run_date had a trigger: a completed trigger row (a `skipped` one enqueued nothing). */
export async function nightTriggered(db: Db, runDate: string): Promise<boolean> {
  const row = await queryOne<{ one: number }>(
    db,
    sql`select 1 as one from scheduler_runs
        where function_name = ${FUNCTION_NAMES.trigger} and run_key = ${runDate} and status = 'completed'`,
  );
  return row !== undefined;
}

/**
 * Daily steps (trigger, postcheck) of run_date that need nothing now: finished, or running and
 * not abandoned for STALE_RUN_MINUTES. A `skipped` trigger (nothing expected while active prompts
 * exist) is not done: every tick tries it again.
 */
export async function takenDailySteps(db: Db, params: { runDate: string; now: Date }): Promise<Set<string>> {
  const { runDate, now } = params;
  const staleBefore = new Date(now.getTime() - STALE_RUN_MINUTES * 60_000);
  const rows = await queryRows<{ function_name: string }>(
    db,
    sql`select function_name from scheduler_runs
        where run_key = ${runDate}
          and function_name in (${FUNCTION_NAMES.trigger}, ${FUNCTION_NAMES.postcheck})
          and (status = 'completed'
               or (status = 'skipped' and function_name <> ${FUNCTION_NAMES.trigger})
               or (status = 'running' and started_at >= ${staleBefore.toISOString()}::timestamptz))`,
  );
  return new Set(rows.map((r) => r.function_name));
}

/** What the active repair's claim of a run_date holds (claimActiveRepair), if there is one. */
export async function activeRepair(db: Db, runDate: string) {
  return queryOne<{ triggered_by: string; started_at: Date | string; status: string }>(
    db,
    sql`select triggered_by, started_at, status from scheduler_runs
        where function_name = ${ACTIVE_REPAIR_FUNCTION} and run_key = ${runDate}`,
  );
}

/**
 * SQL fragment: whether the repair or rerun whose id is `runId` asked for every unit (its
 * result's scope is `all`); false for any other run or none.
 */
export const runAskedForAll = (runId: SQL) =>
  sql`coalesce((select r.result->>'scope' = 'all' from scheduler_runs r
                where r.id = ${runId}
                  and r.function_name in (${FUNCTION_NAMES.repair}, ${FUNCTION_NAMES.rerun})), false)`;

export interface SchedulerRunRow {
  id: number;
  function_name: string;
  run_key: string;
  status: string;
  started_at: Date;
  completed_at: Date | null;
  triggered_by: string;
  result: unknown;
  error: string | null;
}

export async function recentRuns(
  db: Db,
  params: { since: Date; functionName?: FunctionName | undefined },
): Promise<SchedulerRunRow[]> {
  const { since, functionName } = params;
  const filter = functionName ? sql`and function_name = ${functionName}` : sql``;
  return queryRows<SchedulerRunRow>(
    db,
    sql`select id, function_name, run_key, status, started_at, completed_at, triggered_by, result, error
        from scheduler_runs where started_at >= ${since.toISOString()}::timestamptz ${filter}
        order by started_at desc, id desc`,
  );
}

/**
 * Marks a repair or rerun whose tasks all ended as finished, with its counts, exactly once:
 * true for the caller that did it (and so announces it), false when another already had.
 */
export async function claimRunOutcome(
  db: Db,
  params: { runId: number; counts: { units: number; done: number; failed: number }; now: Date },
): Promise<boolean> {
  const { runId, counts, now } = params;
  const row = await queryOne<{ id: number }>(
    db,
    sql`update scheduler_runs
        set result = result || jsonb_build_object('finishedAt', ${now.toISOString()}::text,
                                                  'done', ${counts.done}::int, 'failed', ${counts.failed}::int)
        where id = ${runId} and not (result ? 'finishedAt')
        returning id`,
  );
  return row !== undefined;
}

/** Runs `work` as a recorded step; a thrown error is persisted on the run row and re-thrown. */
export async function recordRun<T>(
  db: Db,
  run: {
    functionName: FunctionName;
    runKey: string;
    triggeredBy: string;
    now: () => Date;
    work: () => Promise<T>;
    /**
     * Read before the work and stored beside its result: what the night expected. Before, so that
     * a change landing between the two reads as a change after the step (a note), never the other way.
     */
    expectedUnits?: () => Promise<unknown>;
  },
): Promise<{ ran: true; runId: number; result: T } | { ran: false }> {
  const { functionName, runKey, triggeredBy } = run;
  const claimed = await claimRun(db, { functionName, runKey, triggeredBy, now: run.now() });
  if (!claimed) return { ran: false };
  try {
    const expectedUnits = await run.expectedUnits?.();
    const result = await run.work();
    await finishRun(db, {
      runId: claimed.id,
      outcome: { status: 'completed', result },
      now: run.now(),
      expectedUnits,
    });
    return { ran: true, runId: claimed.id, result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishRun(db, {
      runId: claimed.id,
      outcome: { status: 'failed', error: message },
      now: run.now(),
    }).catch(() => undefined);
    throw error;
  }
}

/** A run key that is unique per ad-hoc invocation but still sorts and reads by date. */
export const adHocRunKey = (runDate: string, now: Date, label: string) =>
  `${runDate}/${label}/${now.toISOString()}/${Math.random().toString(36).slice(2, 8)}`;

/** The row of one step for one run key (today's trigger, say), or undefined when it never ran. */
export async function findRun(
  db: Db,
  params: { functionName: FunctionName; runKey: string },
): Promise<SchedulerRunRow | undefined> {
  const { functionName, runKey } = params;
  return queryOne(
    db,
    sql`select id, function_name, run_key, status, started_at, completed_at, triggered_by, result, error
        from scheduler_runs
        where function_name = ${functionName} and run_key = ${runKey}`,
  );
}

/**
 * Status and start of one step's row, or undefined when it never ran: findRun without the result,
 * for callers on every tick (a postcheck's result is the whole report).
 */
export async function runState(
  db: Db,
  params: { functionName: FunctionName; runKey: string },
): Promise<{ status: string; started_at: Date | string } | undefined> {
  const { functionName, runKey } = params;
  return queryOne(
    db,
    sql`select status, started_at from scheduler_runs
        where function_name = ${functionName} and run_key = ${runKey}`,
  );
}

/** A step that ran but whose side effect failed (a post, a page) keeps the run and says why. */
export async function appendRunError(db: Db, params: { runId: number; message: string }): Promise<void> {
  const { runId, message } = params;
  await db.execute(
    sql`update scheduler_runs
        set error = left(concat_ws('; ', error, ${message}::text), 2000)
        where id = ${runId}`,
  );
}

/**
 * One completed row per (function_name, run_key), updated in place by newer results: a slower,
 * older measurement never overwrites a newer one (the night's re-measure).
 */
export async function recordLatestRun(
  db: Db,
  run: {
    functionName: FunctionName;
    runKey: string;
    triggeredBy: string;
    result: unknown;
    at: Date;
    /** What the night expected when it was measured (see finishRun). */
    expectedUnits?: unknown;
  },
): Promise<void> {
  const at = run.at.toISOString();
  const expected = run.expectedUnits === undefined ? null : JSON.stringify(run.expectedUnits);
  await db.execute(
    sql`insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by, result,
                                    expected_units)
        values (${run.functionName}, ${run.runKey}, 'completed', ${at}::timestamptz,
                ${at}::timestamptz, ${run.triggeredBy}, ${JSON.stringify(run.result)}::jsonb, ${expected}::jsonb)
        on conflict (function_name, run_key) do update
          set status = 'completed', started_at = excluded.started_at, completed_at = excluded.completed_at,
              triggered_by = excluded.triggered_by, result = excluded.result, error = null,
              expected_units = excluded.expected_units
          where scheduler_runs.completed_at is null or scheduler_runs.completed_at <= excluded.completed_at`,
  );
}

/**
 * "The active repair" of a run_date, in one statement: takes the run_date's claim unless a live
 * one exists. A claim ends when its watcher finishes it, or when its repair has nothing live
 * ORPHAN_GRACE_MINUTES after it began (the instance watching it died), so a crash never blocks
 * repairs for good.
 */
export async function claimActiveRepair(
  db: Db,
  params: { runDate: string; triggeredBy: string; now: Date },
): Promise<number | undefined> {
  const { runDate, triggeredBy, now } = params;
  const row = await queryOne<{ id: number }>(
    db,
    sql`insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
        values (${ACTIVE_REPAIR_FUNCTION}, ${runDate}, 'running', ${now.toISOString()}::timestamptz, ${triggeredBy})
        on conflict (function_name, run_key) do update
          set status = 'running', started_at = excluded.started_at, triggered_by = excluded.triggered_by,
              completed_at = null, result = null, error = null
          where scheduler_runs.status <> 'running'
             or (scheduler_runs.started_at < excluded.started_at - make_interval(mins => ${ORPHAN_GRACE_MINUTES})
                 and not exists (
                   select 1 from batch_tasks t join batch_jobs j on j.id = t.batch_job_id and j.run_date = t.run_date
                   where j.run_date = ${runDate}::date and j.source = 'repair'
                     and ${isLive('t.status')}))
        returning id`,
  );
  return row === undefined ? undefined : Number(row.id);
}

export async function finishActiveRepair(
  db: Db,
  params: { id: number; status: 'completed' | 'failed'; result: Record<string, unknown>; now: Date },
): Promise<void> {
  const { id, status, result, now } = params;
  await db.execute(
    sql`update scheduler_runs
        set status = ${status}, completed_at = ${now.toISOString()}::timestamptz,
            result = ${JSON.stringify(result)}::jsonb, error = ${typeof result.error === 'string' ? result.error : null}
        where id = ${id} and status = 'running'`,
  );
}

/**
 * `sched audit --fix`: a running row past its step's limit (minutes per function name, else
 * STALE_RUN_MINUTES) is marked failed with why; its process died, and the next claim takes it over.
 */
export async function failStaleRuns(db: Db, limits: Record<string, number>): Promise<number> {
  const values = sql.join(
    Object.entries(limits).map(([name, minutes]) => sql`(${name}::text, ${minutes}::int)`),
    sql`, `,
  );
  const row = await queryOne<{ n: number }>(
    db,
    sql`with stuck as (
          update scheduler_runs r
          set status = 'failed', completed_at = now(),
              error = 'marked failed by sched audit --fix: still running ' ||
                      floor(extract(epoch from now() - r.started_at) / 60)::int || ' min after it started, past the ' ||
                      coalesce(l.minutes, ${STALE_RUN_MINUTES}::int) || ' min a ' || r.function_name || ' may take'
          from scheduler_runs r2
          left join (values ${values}) as l(function_name, minutes) on l.function_name = r2.function_name
          where r.id = r2.id and r.status = 'running'
            and r.started_at < now() - make_interval(mins => coalesce(l.minutes, ${STALE_RUN_MINUTES}::int))
          returning 1)
        select count(*)::int as n from stuck`,
  );
  return row?.n ?? 0;
}

export interface LatestStepRun {
  function_name: string;
  status: string;
  /** How long it took. */
  seconds: number;
  /** When it ended, in epoch seconds. */
  finished: number;
}

/** The latest finished run of each step and outcome started since `since` (the /metrics gauges). */
export function latestStepRuns(db: Db, since: Date): Promise<LatestStepRun[]> {
  return queryRows<LatestStepRun>(
    db,
    sql`select distinct on (function_name, status) function_name, status,
               extract(epoch from completed_at - started_at)::float8 as seconds,
               extract(epoch from completed_at)::float8 as finished
        from scheduler_runs
        where started_at >= ${since.toISOString()}::timestamptz and completed_at is not null
        order by function_name, status, completed_at desc`,
  );
}
