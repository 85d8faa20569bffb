import { param, sql } from 'drizzle-orm';
import type { CoverageReport } from '../coverage/types.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { FUNCTION_NAMES } from './scheduler-runs.ts';

/**
 * Reads of `scheduler_runs` that tell what the nights' steps recorded: the latest postcheck report,
 * each night's step rows for history, the provider figures per night, where the latest repair
 * stands and which repairs and reruns have ended. Kept apart from scheduler-runs.ts (the claims and
 * writes) so each file stays small; both are the table's module. A run belongs to the run_date its
 * run_key starts with: scheduled steps use the run_date itself, ad-hoc ones `run_date/label/...`.
 */

/** The latest recorded postcheck report of a night, or undefined when none was recorded. */
export async function getNight(db: Db, runDate: string): Promise<CoverageReport | undefined> {
  const row = await queryOne<{ result: unknown }>(
    db,
    sql`select result from scheduler_runs
        where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed' and result is not null
          and (run_key = ${runDate} or run_key like ${`${runDate}/%`})
        order by completed_at desc nulls last, id desc
        limit 1`,
  );
  return isCoverageReport(row?.result) ? row.result : undefined;
}

/** Results written before the report grew its current shape are not shown as full reports. */
function isCoverageReport(value: unknown): value is CoverageReport {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<CoverageReport>;
  return typeof r.runDate === 'string' && r.ratios !== undefined && Array.isArray(r.incompletePrompts);
}

/** The earliest run_date a trigger, manual run or postcheck was recorded for. */
export async function earliestRecordedRunDate(db: Db): Promise<string | undefined> {
  const row = await queryOne<{ earliest: string | null }>(
    db,
    sql`select min(left(run_key, 10))::date::text as earliest from scheduler_runs
        where function_name in (${FUNCTION_NAMES.trigger}, ${FUNCTION_NAMES.manualRun}, ${FUNCTION_NAMES.postcheck})
          and run_key ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'`,
  );
  return row?.earliest ?? undefined;
}

export interface StepRunRow {
  run_date: string;
  /** bigint: a string on node-postgres, a number on PGlite. */
  id: number | string;
  function_name: string;
  run_key: string;
  status: string;
  started_at: Date | string;
  completed_at: Date | string | null;
  triggered_by: string;
  health: string | null;
  prompts_run: number | null;
  prompts_expected: number | null;
  orgs_found: number | null;
  orgs_expected: number | null;
  /** Tasks a repair or rerun enqueued. */
  tasks: number | null;
}

/** The rows of `functionNames` for the nights `dates`, oldest first, with a report's summary fields. */
export function stepRunsOf(
  db: Db,
  params: { dates: string[]; functionNames: readonly string[] },
): Promise<StepRunRow[]> {
  const { dates, functionNames } = params;
  // Only the few summary fields are read out of the stored report: a night with thousands of
  // missing prompts has a large result, and history needs none of it.
  return queryRows<StepRunRow>(
    db,
    sql`select left(run_key, 10) as run_date, id, function_name, run_key, status, started_at, completed_at,
               triggered_by,
               result->'summary'->>'overallHealth' as health,
               (result->'promptCoverage'->>'promptsRunToday')::int as prompts_run,
               (result->'promptCoverage'->>'expectedActivePrompts')::int as prompts_expected,
               (result->'orgCoverage'->>'found')::int as orgs_found,
               (result->'orgCoverage'->>'expected')::int as orgs_expected,
               case when jsonb_typeof(result->'tasks') = 'number' then (result->>'tasks')::int end as tasks
        from scheduler_runs
        where function_name = any(${param([...functionNames])}::text[])
          and left(run_key, 10) = any(${param(dates)}::text[])
        order by started_at, id`,
  );
}

export interface ProviderFigureRow {
  run_date: string;
  provider: string;
  expected_units: number | null;
  succeeded_units: number | null;
}

/** The `providers` figures of each night's latest completed postcheck (chosen as getNight chooses). */
export function postcheckProviderFigures(db: Db, nights: string[]): Promise<ProviderFigureRow[]> {
  // Only the provider figures are read out of the stored report (which can be large).
  return queryRows<ProviderFigureRow>(
    db,
    sql`with latest as (
          select distinct on (left(run_key, 10)) left(run_key, 10) as run_date, result
          from scheduler_runs
          where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed' and result is not null
            and left(run_key, 10) = any(${param(nights)}::text[])
            and (length(run_key) = 10 or substr(run_key, 11, 1) = '/')
          order by left(run_key, 10), completed_at desc nulls last, id desc
        )
        select l.run_date, p->>'provider' as provider,
               (p->>'expectedUnits')::int as expected_units, (p->>'succeededUnits')::int as succeeded_units
        from latest l
        cross join lateral jsonb_array_elements(
          case when jsonb_typeof(l.result->'providers') = 'array' then l.result->'providers' else '[]'::jsonb end
        ) p
        order by l.run_date, provider`,
  );
}

export interface RepairProgressRow {
  triggered_by: string;
  started_at: Date | string;
  units: number;
  done: number;
  failed: number;
  live: number;
  finished_at: Date | string | null;
}

/** The night's latest repair that enqueued work, with where its tasks stand (one statement). */
export function latestRepairRow(db: Db, runDate: string): Promise<RepairProgressRow | undefined> {
  return queryOne<RepairProgressRow>(
    db,
    sql`with r as (
          select id, triggered_by, started_at, (result->>'tasks')::int as units
          from scheduler_runs
          where function_name = ${FUNCTION_NAMES.repair} and status = 'completed'
            and run_key like ${`${runDate}/%`}
            and case when jsonb_typeof(result->'tasks') = 'number' then (result->>'tasks')::int > 0 else false end
          order by started_at desc, id desc
          limit 1)
        select r.triggered_by, r.started_at, r.units,
               count(t.id) filter (where t.status in ('completed', 'failed', 'cancelled'))::int as done,
               count(t.id) filter (where t.status = 'failed')::int as failed,
               count(t.id) filter (where ${isLive('t.status')})::int as live,
               max(t.completed_at) as finished_at
        from r
        left join batch_jobs j on j.run_date = ${runDate}::date and j.source = 'repair'
          and j.triggered_by = r.triggered_by and j.created_at >= r.started_at
        left join batch_tasks t on t.batch_job_id = j.id and t.run_date = j.run_date
        group by r.id, r.triggered_by, r.started_at, r.units`,
  );
}

export interface FinishedRunRow {
  id: number;
  function_name: string;
  triggered_by: string;
  result: { scope?: unknown; provider?: unknown; org?: unknown; tasks?: unknown };
  done: number;
  failed: number;
  units: number;
}

/** Repairs and reruns of a night that enqueued work, whose tasks are all final, not yet announced. */
export function finishedRuns(db: Db, runDate: string): Promise<FinishedRunRow[]> {
  return queryRows<FinishedRunRow>(
    db,
    sql`select r.id, r.function_name, r.triggered_by, r.result,
               count(*) filter (where t.status = 'completed')::int as done,
               count(*) filter (where t.status in ('failed', 'cancelled'))::int as failed,
               count(*)::int as units
        from scheduler_runs r
        join batch_jobs j on j.run_date = ${runDate}::date and j.metadata->>'runId' = r.id::text
        join batch_tasks t on t.batch_job_id = j.id and t.run_date = j.run_date
        where r.function_name in (${FUNCTION_NAMES.repair}, ${FUNCTION_NAMES.rerun})
          and r.run_key like ${`${runDate}/%`} and r.status = 'completed'
          and not (r.result ? 'finishedAt')
        group by r.id, r.function_name, r.triggered_by, r.result
        having count(*) filter (where ${isLive('t.status')}) = 0`,
  );
}
