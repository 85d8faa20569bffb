import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { type Db, queryOne, queryRows } from '../../src/db/client.ts';

/**
 * What must hold at the end of every night, whatever broke during it (workers killed, the
 * database restarted or full, a provider refusing, schedulers and clicks racing). Every fault
 * test ends with `expectNightInvariants`. The SQL restates the rules on its own, without the
 * production queries or constants, so a bug shared by the product's SQL cannot hide here.
 */

export interface NightViolations {
  /** Expected units with neither exactly one success nor, without any success, a final failure. */
  unitsWithoutOutcome: {
    prompt_id: string;
    provider: string;
    successes: number;
    failed: number;
    live: number;
  }[];
  /** Tasks still pending or processing: the night never settled. */
  liveTasks: { id: number; provider: string; status: string; locked_by: string | null }[];
  /** Units with more than one success response. */
  duplicateSuccesses: { prompt_id: string; provider: string; successes: number }[];
  /** A completed task without its success response, or a success response on a task not completed. */
  responseMismatches: { task_id: number; status: string; successes: number }[];
  /** Orgs with more than one nightly job: the night was triggered twice for them. */
  orgsTriggeredTwice: { org_id: string; jobs: number }[];
  /** Jobs whose counts or state disagree with their tasks (see jobCountMismatches). */
  jobCountMismatches: Record<string, unknown>[];
  /** Tasks that used more attempts than they were allowed. */
  attemptsOverMax: { id: number; attempts: number; max_attempts: number }[];
}

export const NO_VIOLATIONS: NightViolations = {
  unitsWithoutOutcome: [],
  liveTasks: [],
  duplicateSuccesses: [],
  responseMismatches: [],
  orgsTriggeredTwice: [],
  jobCountMismatches: [],
  attemptsOverMax: [],
};

/**
 * The expected units, restated: active in-quota prompts (ranked by created_at, id) of
 * active orgs whose subscription is active or trialing, times the enabled providers their plan
 * allows (starter: openai and perplexity; the others: all).
 */
const expectedUnits = sql`
  quota(plan, n) as (values ('starter', 25), ('growth', 100), ('pro', 300), ('enterprise', null::int)),
  ranked as (
    select p.id as prompt_id, p.org_id, o.plan,
           row_number() over (partition by p.org_id order by p.created_at, p.id) as rank
    from prompts p join organizations o on o.id = p.org_id
    where p.active and o.active and o.subscription_status in ('active', 'trialing')
  ),
  units as (
    select r.org_id, r.prompt_id, pr.name as provider
    from ranked r
    join quota q on q.plan = r.plan
    join providers pr on pr.enabled and (r.plan <> 'starter' or pr.name in ('openai', 'perplexity'))
    where q.n is null or r.rank <= q.n
  )`;

export async function expectedUnitCount(db: Db): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with ${expectedUnits} select count(*)::int as n from units`,
  );
  return row?.n ?? 0;
}

/**
 * Jobs whose counters disagree with the tasks that point at them, or whose state does: a job
 * with no live task left must be closed. Isolated on purpose: if the job row stops holding
 * counters (counts derived from the tasks), this is the one function to change.
 */
export function jobCountMismatches(db: Db, runDate: string): Promise<Record<string, unknown>[]> {
  return queryRows(
    db,
    sql`select j.id, j.status, j.total_tasks, c.total, j.completed_tasks, c.completed, j.failed_tasks, c.failed
        from batch_jobs j
        cross join lateral (
          select count(*)::int as total,
                 count(*) filter (where t.status = 'completed')::int as completed,
                 count(*) filter (where t.status = 'failed')::int as failed,
                 count(*) filter (where t.status in ('pending', 'processing'))::int as live
          from batch_tasks t where t.batch_job_id = j.id
        ) c
        where j.run_date = ${runDate}::date
          and (j.total_tasks <> c.total or j.completed_tasks <> c.completed or j.failed_tasks <> c.failed
               or (c.live = 0 and j.status not in ('completed', 'cancelled'))
               or (c.live > 0 and j.status in ('completed', 'failed', 'cancelled')))
        order by j.id`,
  );
}

export async function nightViolations(db: Db, runDate: string): Promise<NightViolations> {
  const day = sql`${runDate}::date`;
  const [
    unitsWithoutOutcome,
    liveTasks,
    duplicateSuccesses,
    responseMismatches,
    orgsTriggeredTwice,
    jobs,
    attemptsOverMax,
  ] = await Promise.all([
    queryRows<NightViolations['unitsWithoutOutcome'][number]>(
      db,
      sql`with ${expectedUnits}
          select u.prompt_id, u.provider, s.successes, k.failed, k.live
          from units u
          cross join lateral (
            select count(*)::int as successes from prompt_provider_responses r
            where r.run_date = ${day} and r.prompt_id = u.prompt_id and r.provider = u.provider
              and r.status = 'success'
          ) s
          cross join lateral (
            select count(*) filter (where t.status = 'failed')::int as failed,
                   count(*) filter (where t.status in ('pending', 'processing'))::int as live
            from batch_tasks t
            where t.run_date = ${day} and t.prompt_id = u.prompt_id and t.provider = u.provider
          ) k
          where not (s.successes = 1 or (s.successes = 0 and k.failed > 0 and k.live = 0))
          order by u.prompt_id, u.provider`,
    ),
    queryRows<NightViolations['liveTasks'][number]>(
      db,
      sql`select id, provider, status, locked_by from batch_tasks
          where run_date = ${day} and status in ('pending', 'processing') order by id`,
    ),
    queryRows<NightViolations['duplicateSuccesses'][number]>(
      db,
      sql`select prompt_id, provider, count(*)::int as successes from prompt_provider_responses
          where run_date = ${day} and status = 'success'
          group by prompt_id, provider having count(*) > 1`,
    ),
    queryRows<NightViolations['responseMismatches'][number]>(
      db,
      sql`select t.id as task_id, t.status,
                 (select count(*)::int from prompt_provider_responses r
                  where r.batch_task_id = t.id and r.status = 'success') as successes
          from batch_tasks t
          where t.run_date = ${day}
            and (t.status = 'completed') <> exists (select 1 from prompt_provider_responses r
                                                    where r.batch_task_id = t.id and r.status = 'success')
          order by t.id`,
    ),
    queryRows<NightViolations['orgsTriggeredTwice'][number]>(
      db,
      sql`select org_id, count(*)::int as jobs from batch_jobs
          where run_date = ${day} and source = 'nightly' group by org_id having count(*) > 1`,
    ),
    jobCountMismatches(db, runDate),
    queryRows<NightViolations['attemptsOverMax'][number]>(
      db,
      sql`select id, attempts, max_attempts from batch_tasks
          where run_date = ${day} and attempts > max_attempts order by id`,
    ),
  ]);
  return {
    unitsWithoutOutcome,
    liveTasks,
    duplicateSuccesses,
    responseMismatches,
    orgsTriggeredTwice,
    jobCountMismatches: jobs,
    attemptsOverMax,
  };
}

/** Completed trigger runs of a night: exactly one, however many schedulers, clicks or restarts. */
export async function triggerRuns(db: Db, runDate: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from scheduler_runs
        where function_name = 'daily-batch-trigger' and run_key = ${runDate} and status = 'completed'`,
  );
  return row?.n ?? 0;
}

/**
 * The end of every fault test: no violation, one trigger, and (when the test knows it) the
 * number of expected units, so a night that lost its units cannot pass as an empty one.
 */
export async function expectNightInvariants(
  db: Db,
  runDate: string,
  options: { expectedUnits?: number } = {},
): Promise<void> {
  expect(await nightViolations(db, runDate)).toEqual(NO_VIOLATIONS);
  expect(await triggerRuns(db, runDate)).toBe(1);
  const units = await expectedUnitCount(db);
  expect(units).toBeGreaterThan(0);
  if (options.expectedUnits !== undefined) expect(units).toBe(options.expectedUnits);
  // Every expected unit got a task from the night's one trigger.
  const nightly = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
        where t.run_date = ${runDate}::date and j.source = 'nightly'`,
  );
  expect(nightly?.n).toBe(units);
}
