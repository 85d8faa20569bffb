import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { Deps } from '../../src/context.ts';
import { type Db, queryOne, queryRows } from '../../src/db/client.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { silentLogger } from '../../src/logger.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { type Backend, type TestDatabase, truncateAll } from './db.ts';
import { resetProvidersFromConfig } from './insert-rows.ts';
import { HIGH_LIMITS } from './worker-fixtures.ts';

/** Deps on a simulated clock, for scheduler tests: `deps.clock()` returns whatever `at` says. */
export interface ClockedDeps extends Deps {
  at: { now: Date };
}

export function clockedDeps(db: Db, start: Date | string, env: Record<string, string> = {}): ClockedDeps {
  const at = { now: new Date(start) };
  const config = loadConfig({ SIMULATED_PROFILE: 'ideal', LOG_LEVEL: 'silent', ...env });
  return { db, config, logger: silentLogger(), clock: () => new Date(at.now), at };
}

/**
 * seedDemo with 6 orgs and 3 prompts each, all four providers enabled. Expected units: org 0
 * (starter, 32 active prompts, quota 25) 25 x 2 = 50; org 1 (growth) 4 x 4 = 16; org 2 (pro,
 * trialing) 5 x 4 = 20; org 3 (enterprise) 3 x 4 = 12; org 4 (starter, past_due) none;
 * org 5 (growth) 5 x 4 = 20. Total 118 units in 5 orgs.
 */
export const DEMO_UNITS = 118;
export const DEMO_ORGS_WITH_WORK = 5;

export async function seedSmallDemo(db: Db): Promise<void> {
  await seedDemo(db, { orgs: 6, promptsPerOrg: 3 });
  // Limits out of the way: a test about the queue's limits sets them itself (rate-limit.test.ts).
  // At the default rpm (50 for two providers) the demo's repairs took 50 s a test.
  await resetProvidersFromConfig(db, loadConfig({ SIMULATED_PROFILE: 'ideal', ...HIGH_LIMITS }));
}

export interface TaskCounts {
  total: number;
  live: number;
  pending: number;
  processing: number;
  completed: number;
  failed: number;
}

export async function taskCounts(db: Db, runDate: string): Promise<TaskCounts> {
  const row = await queryOne<TaskCounts>(
    db,
    sql`select count(*)::int as total,
               count(*) filter (where status in ('pending', 'processing'))::int as live,
               count(*) filter (where status = 'pending')::int as pending,
               count(*) filter (where status = 'processing')::int as processing,
               count(*) filter (where status = 'completed')::int as completed,
               count(*) filter (where status = 'failed')::int as failed
        from batch_tasks where run_date = ${runDate}::date`,
  );
  if (!row) throw new Error('no count');
  return row;
}

/** Jobs whose total_tasks disagrees with the tasks that really point at them (should be none). */
export async function jobsWithWrongTotals(db: Db, runDate: string) {
  return queryRows<{ id: string; total_tasks: number; real: number }>(
    db,
    sql`select j.id, j.total_tasks, (select count(*)::int from batch_tasks t where t.batch_job_id = j.id) as real
        from batch_jobs j
        where j.run_date = ${runDate}::date
          and j.total_tasks <> (select count(*) from batch_tasks t where t.batch_job_id = j.id)`,
  );
}

/** Plays a worker: answers every live task of run_date with a success, as the worker would commit it. */
export async function completeAllLive(db: Db, runDate: string, at: Date, except: { provider?: string } = {}) {
  const skip = except.provider ?? '';
  await db.execute(sql`
    with done as (
      update batch_tasks set status = 'completed', attempts = attempts + 1, started_at = ${at.toISOString()}::timestamptz,
             completed_at = ${at.toISOString()}::timestamptz, locked_by = null, lease_expires_at = null
      where run_date = ${runDate}::date and status in ('pending', 'processing') and provider <> ${skip}
      returning id, org_id, prompt_id, provider, run_date)
    insert into prompt_provider_responses (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at, status, response_text)
    select id, org_id, prompt_id, provider, 'simulated', run_date, ${at.toISOString()}::timestamptz, 'success', 'an answer'
    from done`);
}

export interface NightFixture {
  readonly database: TestDatabase;
  readonly db: Db;
}

/**
 * One database per test file (per backend), emptied and seeded with the small demo before each
 * test; with `trigger`, the night of that run_date is triggered too, then `shape` adjusts it.
 */
export function nightFixture(
  backend: Backend,
  options: { trigger?: { runDate: string; at: Date }; shape?: (db: Db) => Promise<void> } = {},
): NightFixture {
  let database: TestDatabase | undefined;
  const fixture: NightFixture = {
    get database() {
      if (!database) throw new Error('the database is created in beforeAll');
      return database;
    },
    get db() {
      return fixture.database.db;
    },
  };
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database?.close());
  beforeEach(async () => {
    await truncateAll(fixture.database);
    await seedSmallDemo(fixture.db);
    const { trigger } = options;
    if (trigger) {
      const deps = clockedDeps(fixture.db, trigger.at);
      await runTrigger(deps, { runDate: trigger.runDate, triggeredBy: 'scheduler', scheduled: true });
    }
    await options.shape?.(fixture.db);
  });
  return fixture;
}

/** Ends a night: every live task answered, except `provider`'s, which fail with `errorClass`. */
export async function endNightWithFailures(
  db: Db,
  runDate: string,
  at: Date,
  provider: string,
  errorClass: string,
) {
  await completeAllLive(db, runDate, at, { provider });
  await db.execute(
    sql`update batch_tasks set status = 'failed', error_class = ${errorClass}, completed_at = ${at.toISOString()}::timestamptz
        where run_date = ${runDate}::date and provider = ${provider} and status in ('pending', 'processing')`,
  );
}
