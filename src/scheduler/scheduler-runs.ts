import { sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';

/**
 * `scheduler_runs` decides whether a step ran: unique (function_name, run_key). A scheduled step
 * uses the run_date as run_key; an ad-hoc run gets a unique key so every run is recorded.
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
  functionName: FunctionName,
  runKey: string,
  triggeredBy: string,
  now: Date,
): Promise<ClaimedRun | undefined> {
  return queryOne<ClaimedRun>(
    db,
    sql`insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
        values (${functionName}, ${runKey}, 'running', ${now.toISOString()}::timestamptz, ${triggeredBy})
        on conflict (function_name, run_key) do update
          set status = 'running', started_at = excluded.started_at, triggered_by = excluded.triggered_by,
              completed_at = null, error = null, result = null
          where scheduler_runs.status in ('failed', 'skipped')
             or (scheduler_runs.status = 'running'
                 and scheduler_runs.started_at < excluded.started_at - make_interval(mins => ${STALE_RUN_MINUTES}))
        returning id`,
  );
}

export async function finishRun(
  db: Db,
  runId: number,
  outcome: { status: 'completed' | 'failed' | 'skipped'; result?: unknown; error?: string },
  now: Date,
): Promise<void> {
  await db.execute(
    sql`update scheduler_runs
        set status = ${outcome.status}, completed_at = ${now.toISOString()}::timestamptz,
            result = ${outcome.result === undefined ? null : JSON.stringify(outcome.result)}::jsonb,
            error = ${outcome.error ?? null}
        where id = ${runId}`,
  );
}

export async function hasRun(db: Db, functionName: FunctionName, runKey: string): Promise<boolean> {
  const row = await queryOne<{ one: number }>(
    db,
    sql`select 1 as one from scheduler_runs where function_name = ${functionName} and run_key = ${runKey}`,
  );
  return row !== undefined;
}

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
  since: Date,
  functionName?: FunctionName,
): Promise<SchedulerRunRow[]> {
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
  runId: number,
  counts: { units: number; done: number; failed: number },
  now: Date,
): Promise<boolean> {
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
  run: { functionName: FunctionName; runKey: string; triggeredBy: string; now: () => Date },
  work: () => Promise<T>,
): Promise<{ ran: true; runId: number; result: T } | { ran: false }> {
  const claimed = await claimRun(db, run.functionName, run.runKey, run.triggeredBy, run.now());
  if (!claimed) return { ran: false };
  try {
    const result = await work();
    await finishRun(db, claimed.id, { status: 'completed', result }, run.now());
    return { ran: true, runId: claimed.id, result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await finishRun(db, claimed.id, { status: 'failed', error: message }, run.now()).catch(() => undefined);
    throw error;
  }
}

/** A run key that is unique per ad-hoc invocation but still sorts and reads by date. */
export const adHocRunKey = (runDate: string, now: Date, label: string) =>
  `${runDate}/${label}/${now.toISOString()}/${Math.random().toString(36).slice(2, 8)}`;

/** The row of one step for one run key (today's trigger, say), or undefined when it never ran. */
export async function findRun(
  db: Db,
  functionName: FunctionName,
  runKey: string,
): Promise<SchedulerRunRow | undefined> {
  return queryOne(
    db,
    sql`select id, function_name, run_key, status, started_at, completed_at, triggered_by, result, error
        from scheduler_runs
        where function_name = ${functionName} and run_key = ${runKey}`,
  );
}
