import { param, type SQL, sql } from 'drizzle-orm';
import { expectedUnitsCte, orgFingerprintCte } from '../coverage/coverage-query.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { countsDiffer, jobTaskCounts } from '../queue/recompute-job-counts.ts';
import { freshJob } from '../scheduler/fresh-answers.ts';
import { FUNCTION_NAMES, type SchedulerRunRow } from '../store/scheduler-runs.ts';
import { type AuditRow, ROWS_SHOWN } from './types.ts';

/**
 * The audit's SQL: one statement per invariant, each bounded by a run_date (or by a partial
 * index for the checks that span every night), each returning how many rows break it and the
 * first ROWS_SHOWN of them. Time limits on leases are judged with the database clock, as the
 * workers and the reconciler judge them.
 */

export interface Finding {
  count: number;
  rows: AuditRow[];
}

/** Runs `select ..., count(*) over () as total_rows ... limit ROWS_SHOWN` and splits the total off. */
async function find(db: Db, query: SQL): Promise<Finding> {
  const rows = await queryRows<AuditRow & { total_rows: number | string }>(
    db,
    sql`select * from (${query}) f limit ${ROWS_SHOWN}`,
  );
  const count = Number(rows[0]?.total_rows ?? 0);
  return {
    count,
    rows: rows.map(({ total_rows: _, ...row }) => normalize(row)),
  };
}

/** Dates and bigints as plain strings and numbers, so rows print and serialize the same everywhere. */
function normalize(row: Record<string, unknown>): AuditRow {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => {
      if (value instanceof Date) return [key, value.toISOString()];
      if (typeof value === 'bigint') return [key, Number(value)];
      if (value === null || typeof value === 'number' || typeof value === 'string') return [key, value];
      return [key, String(value)];
    }),
  );
}

export type StepRun = SchedulerRunRow;

/** The latest completed postcheck of a run_date, scheduled (run_key = date) or ad hoc (date/...). */
export async function latestPostcheck(db: Db, runDate: string): Promise<StepRun | undefined> {
  return queryOne<StepRun>(
    db,
    sql`select id, function_name, run_key, status, started_at, completed_at, triggered_by, result, error
        from scheduler_runs
        where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed'
          and (run_key = ${runDate} or run_key like ${`${runDate}/%`})
        order by completed_at desc, id desc limit 1`,
  );
}

/** How many units the night expects now (an org with active prompts but nothing to run expects none). */
export async function expectedUnitCount(db: Db, runDate: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with ${expectedUnitsCte(runDate)} select count(*)::int as n from units`,
  );
  return row?.n ?? 0;
}

/**
 * Expected units without any task. Prompts created after the trigger ran are not counted: the
 * night's snapshot could not know them (a repair or rerun picks them up). `changedOrgs`: the orgs
 * whose expected units changed since the trigger, by its recorded fingerprint (expectedChanges);
 * their new units show as missing and Repair runs them, by design, so they are left out and every
 * other org is held to the snapshot. Without a fingerprint (a trigger recorded before it existed),
 * an org is left out when one of its tasks is no longer expected.
 */
export function unitsWithoutTask(
  db: Db,
  params: { runDate: string; triggeredAt: Date; changedOrgs?: string[] | undefined },
): Promise<Finding> {
  const { runDate, triggeredAt, changedOrgs } = params;
  const orgsLeftOut = changedOrgs
    ? sql`and not (u.org_id = any(${param(changedOrgs)}::uuid[]))`
    : sql`and (select true from batch_tasks t2
               where t2.run_date = ${runDate}::date and t2.org_id = u.org_id
                 and (select true from units u2 where u2.prompt_id = t2.prompt_id
                        and u2.provider = t2.provider limit 1) is null
               limit 1) is null`;
  return find(
    db,
    sql`with ${expectedUnitsCte(runDate)}
        select u.org_id, o.name as org, u.prompt_id, u.provider, count(*) over () as total_rows
        from units u
        join organizations o on o.id = u.org_id
        join prompts p on p.id = u.prompt_id
        where p.created_at <= ${triggeredAt.toISOString()}::timestamptz
          and (select true from batch_tasks t
               where t.run_date = ${runDate}::date and t.prompt_id = u.prompt_id
                 and t.provider = u.provider limit 1) is null
          ${orgsLeftOut}
        order by o.name, u.prompt_id, u.provider`,
  );
}

/** An org whose expected units differ now from those recorded with a step. */
export interface ExpectedChange {
  org_id: string;
  org: string | null;
  prompts_then: number;
  prompts_now: number;
  providers_then: string | null;
  providers_now: string | null;
  /** The same prompts then and now (only the providers changed). */
  same_prompts: boolean;
}

/**
 * The orgs whose expected units changed since the step of `runId` recorded its fingerprint
 * (coverage/expected-fingerprint.ts), or undefined when the row has none (recorded before it).
 */
export async function expectedChanges(
  db: Db,
  params: { runId: number; runDate: string },
): Promise<ExpectedChange[] | undefined> {
  const { runId, runDate } = params;
  const recorded = await queryOne<{ fingerprinted: boolean }>(
    db,
    sql`select expected_units is not null as fingerprinted from scheduler_runs where id = ${runId}`,
  );
  if (!recorded?.fingerprinted) return undefined;
  return queryRows<ExpectedChange>(
    db,
    sql`with ${expectedUnitsCte(runDate)}, ${orgFingerprintCte},
        then_fp as (
          select e.key::uuid as org_id, (e.value->>0)::int as prompts, (e.value->>1)::bigint as hash,
                 e.value->>2 as providers
          from scheduler_runs r, jsonb_each(r.expected_units) e
          where r.id = ${runId}
        )
        select coalesce(n.org_id, t.org_id) as org_id, o.name as org,
               coalesce(t.prompts, 0) as prompts_then, coalesce(n.prompts, 0) as prompts_now,
               t.providers as providers_then, n.providers as providers_now,
               (n.prompts is not distinct from t.prompts and n.hash is not distinct from t.hash) as same_prompts
        from org_fingerprint n
        full join then_fp t on t.org_id = n.org_id
        left join organizations o on o.id = coalesce(n.org_id, t.org_id)
        where n.prompts is distinct from t.prompts or n.hash is distinct from t.hash
           or n.providers is distinct from t.providers
        order by o.name, 1`,
  );
}

/** The old system's "ran days twice": more than one nightly job for an org on one run_date. */
export function nightlyJobsTwice(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`select j.org_id, o.name as org, count(*)::int as nightly_jobs,
               string_agg(j.id::text, ', ' order by j.created_at) as job_ids, count(*) over () as total_rows
        from batch_jobs j join organizations o on o.id = j.org_id
        where j.run_date = ${runDate}::date and j.source = 'nightly'
        group by j.org_id, o.name
        having count(*) > 1
        order by o.name`,
  );
}

/**
 * Units with a second success that nobody asked for: successes whose job asked for fresh answers
 * (fresh-answers.ts) may repeat; more than one of the others is a bug. Each row says which
 * responses are unasked and where every success came from.
 */
export function duplicateSuccesses(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`with success as (
          select r.id, r.org_id, r.prompt_id, r.provider, coalesce(j.source, 'no job') as source,
                 coalesce(${freshJob(sql`j`)}, false) as fresh
          from prompt_provider_responses r
          left join batch_tasks t on t.id = r.batch_task_id and t.run_date = r.run_date
          left join batch_jobs j on j.id = t.batch_job_id
          where r.run_date = ${runDate}::date and r.status = 'success'
        )
        select min(org_id::text) as org_id, prompt_id, provider, count(*)::int as successes,
               string_agg(id::text, ', ' order by id) filter (where not fresh) as unasked_response_ids,
               string_agg(id::text || ' ' || source || case when fresh then ' (fresh answers asked)' else '' end,
                          ', ' order by id) as responses,
               count(*) over () as total_rows
        from success
        group by prompt_id, provider
        having count(*) filter (where not fresh) > 1
        order by prompt_id, provider`,
  );
}

/** Responses with no task, or whose task is for another unit (another date, prompt or provider). */
export function responsesWithoutTask(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`select r.id as response_id, r.batch_task_id as task_id, r.org_id, r.prompt_id, r.provider,
               r.status, count(*) over () as total_rows
        from prompt_provider_responses r
        left join batch_tasks t on t.id = r.batch_task_id and t.run_date = r.run_date
        where r.run_date = ${runDate}::date
          and (t.id is null or t.run_date <> r.run_date or t.prompt_id <> r.prompt_id
               or t.provider <> r.provider)
        order by r.id`,
  );
}

/** Tasks held past their lease by more than the reconciler's interval: nobody returned them. */
export function overdueLeases(db: Db, graceSeconds: number): Promise<Finding> {
  return find(
    db,
    sql`select t.id as task_id, t.run_date::text as run_date, t.org_id, t.prompt_id, t.provider,
               t.locked_by, t.lease_expires_at, count(*) over () as total_rows
        from batch_tasks t
        where t.status = 'processing'
          and t.lease_expires_at < now() - make_interval(secs => ${graceSeconds}::int)
        order by t.lease_expires_at, t.id`,
  );
}

/** Live tasks of a night older than the backfill window: nothing should still be working on it. */
export function liveTasksTooOld(db: Db, oldestAllowed: string): Promise<Finding> {
  return find(
    db,
    sql`select t.id as task_id, t.run_date::text as run_date, t.org_id, t.prompt_id, t.provider, t.status,
               count(*) over () as total_rows
        from batch_tasks t
        where ${isLive('t.status')} and t.run_date < ${oldestAllowed}::date
        order by t.run_date, t.id`,
  );
}

/** Live tasks of a provider taken out of service: no worker claims them, nothing closes their jobs. */
export function liveTasksOfDisabledProviders(db: Db): Promise<Finding> {
  return find(
    db,
    sql`select t.id as task_id, t.run_date::text as run_date, t.org_id, t.prompt_id, t.provider, t.status,
               count(*) over () as total_rows
        from batch_tasks t
        join providers p on p.name = t.provider and not p.enabled
        where ${isLive('t.status')}
        order by t.run_date, t.id`,
  );
}

export function attemptsOverMax(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`select t.id as task_id, t.org_id, t.prompt_id, t.provider, t.attempts, t.max_attempts,
               count(*) over () as total_rows
        from batch_tasks t
        where t.run_date = ${runDate}::date and t.attempts > t.max_attempts
        order by t.id`,
  );
}

/** A job's real counts, from the tasks that point at it (`j` is the job, `c` the counts). */
/** Jobs whose counters disagree with the tasks that point at them. */
export function jobCountsWrong(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`select j.id as job_id, o.name as org, j.total_tasks, c.total as real_total,
               j.completed_tasks, c.completed as real_completed, j.failed_tasks, c.failed as real_failed,
               count(*) over () as total_rows
        from batch_jobs j
        join organizations o on o.id = j.org_id
        ${jobTaskCounts}
        where j.run_date = ${runDate}::date and ${countsDiffer}
        order by o.name, j.id`,
  );
}

export function jobsClosedWithLiveTasks(db: Db, runDate: string): Promise<Finding> {
  return find(
    db,
    sql`select j.id as job_id, o.name as org, j.status,
               (select count(*)::int from batch_tasks t
                where t.batch_job_id = j.id and t.run_date = j.run_date
                  and ${isLive('t.status')}) as live_tasks,
               count(*) over () as total_rows
        from batch_jobs j join organizations o on o.id = j.org_id
        where j.run_date = ${runDate}::date and j.status in ('completed', 'failed', 'cancelled')
          and exists (select 1 from batch_tasks t
                      where t.batch_job_id = j.id and t.run_date = j.run_date
                        and ${isLive('t.status')})
        order by o.name, j.id`,
  );
}

/** Jobs still open although their last task ended more than the reconciler's interval ago. */
export function jobsNotClosed(db: Db, params: { runDate: string; graceSeconds: number }): Promise<Finding> {
  const { runDate, graceSeconds } = params;
  return find(
    db,
    sql`select j.id as job_id, o.name as org, j.status, d.last_done, count(*) over () as total_rows
        from batch_jobs j
        join organizations o on o.id = j.org_id
        cross join lateral (
          select max(t.completed_at) as last_done,
                 count(*) filter (where ${isLive('t.status')}) as live
          from batch_tasks t where t.batch_job_id = j.id and t.run_date = j.run_date
        ) d
        where j.run_date = ${runDate}::date and j.status in ('queued', 'processing')
          and d.live = 0 and d.last_done is not null
          and d.last_done < now() - make_interval(secs => ${graceSeconds}::int)
        order by o.name, j.id`,
  );
}

/** scheduler_runs rows still `running` past the longest their step should take. */
export function stuckRuns(
  db: Db,
  params: { limits: Record<string, number>; fallbackMinutes: number },
): Promise<Finding> {
  const { limits, fallbackMinutes } = params;
  const values = sql.join(
    Object.entries(limits).map(([name, minutes]) => sql`(${name}::text, ${minutes}::int)`),
    sql`, `,
  );
  return find(
    db,
    sql`select r.id as run_id, r.function_name, r.run_key, r.triggered_by, r.started_at,
               coalesce(l.minutes, ${fallbackMinutes}::int) as limit_minutes, count(*) over () as total_rows
        from scheduler_runs r
        left join (values ${values}) as l(function_name, minutes) on l.function_name = r.function_name
        where r.status = 'running'
          and r.started_at < now() - make_interval(mins => coalesce(l.minutes, ${fallbackMinutes}::int))
        order by r.started_at, r.id`,
  );
}

/** When the night's data last changed: the newest task end or response. */
export async function lastNightChange(db: Db, runDate: string): Promise<Date | undefined> {
  const row = await queryOne<{ at: Date | string | null }>(
    db,
    sql`select greatest(
          (select max(completed_at) from batch_tasks where run_date = ${runDate}::date),
          (select max(created_at) from batch_tasks where run_date = ${runDate}::date),
          (select max(run_at) from prompt_provider_responses where run_date = ${runDate}::date)
        ) as at`,
  );
  return row?.at ? new Date(row.at) : undefined;
}

export interface RecordedReport {
  ts: string | null;
  edited_at: Date | null;
  posted_at: Date;
  /** An edit asked for more than a minute ago and never made (refreshes are coalesced to seconds). */
  refresh_overdue: boolean;
}

export async function recordedReport(
  db: Db,
  params: { runDate: string; channel: string },
): Promise<RecordedReport | undefined> {
  const { runDate, channel } = params;
  return queryOne<RecordedReport>(
    db,
    sql`select ts, edited_at, posted_at,
               coalesce(refresh_requested_at < now() - interval '1 minute', false) as refresh_overdue
        from slack_reports where run_date = ${runDate}::date and channel = ${channel}`,
  );
}
