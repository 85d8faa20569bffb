import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { sched } from '../support/cli.ts';
import { sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import { spawnWorker } from '../support/spawn-worker.ts';
import {
  duplicateSuccesses,
  HIGH_LIMITS,
  inexactJobs,
  plannedStarts,
  smallestGap,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

/** Worker processes on one PostgreSQL: only where several processes can share a database. */
describe.skipIf(sharedBackends().length > 0)('worker processes', () => {
  it.skip('need a PostgreSQL that several processes share: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('worker processes on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  let url: string;
  beforeAll(async () => {
    database = await backend.create();
    url = database.url ?? '';
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
  });

  /**
   * Until the server has closed a killed process's connections (named after its pid, see
   * db/client.ts). A statement it sent just before the SIGKILL still runs to its commit, a claim
   * or a completion of tasks the test is about to call orphaned; the backend exits only after.
   */
  const connectionsGone = (pid: number | undefined) =>
    waitUntil(async () => {
      const left = await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from pg_stat_activity
            where application_name in (${`sched-bot ${pid}`}, ${`sched-bot listen ${pid}`})`,
      );
      return left?.n === 0;
    }, 60_000);

  const count = async (where: ReturnType<typeof sql>) =>
    (
      await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks where ${where}`,
      )
    )?.n ?? 0;

  it('loses and duplicates nothing when one of two workers is killed mid-run', async () => {
    await seedDemo(database.db, { orgs: 16 });
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const total = await count(sql`true`);
    expect(total).toBeGreaterThan(250);

    const env = { DATABASE_URL: url, SIMULATED_PROFILE: 'demo', WORKER_CONCURRENCY: '8', ...HIGH_LIMITS };
    const doomed = spawnWorker(['--drain'], env);
    const survivor = spawnWorker(['--drain'], env);
    await waitUntil(async () => (await count(sql`status = 'completed'`)) >= total / 4, 120_000);
    doomed.child.kill('SIGKILL');
    const killed = await doomed.exited;
    expect(killed.signal).toBe('SIGKILL');
    await connectionsGone(doomed.pid);

    // What the dead worker held stays processing until its lease runs out; run that out now.
    const held = await count(sql`status = 'processing' and locked_by like ${`%:${doomed.pid}:%`}`);
    expect(held).toBeGreaterThan(0);
    await database.db.execute(
      sql`update batch_tasks set lease_expires_at = now() - interval '1 second'
          where status = 'processing' and locked_by like ${`%:${doomed.pid}:%`}`,
    );
    // The reconciler returns them, unless the surviving worker's own sweep got there first.
    const reconciled = await reconcile(database.db, new Date());
    expect(reconciled.requeued + reconciled.failed).toBeLessThanOrEqual(held);
    expect(await count(sql`status = 'processing' and locked_by like ${`%:${doomed.pid}:%`}`)).toBe(0);

    const finished = await survivor.exited;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toMatch(/claimed \d+, succeeded \d+, failed \d+, retried \d+/);

    const states = await queryRows<{ status: string; n: number }>(
      database.db,
      sql`select status, count(*)::int as n from batch_tasks where run_date = ${runDate}::date group by status`,
    );
    expect(states.map((s) => s.status).sort()).toEqual(
      states.some((s) => s.status === 'failed') ? ['completed', 'failed'] : ['completed'],
    );
    expect(states.reduce((sum, s) => sum + s.n, 0)).toBe(total);
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);
    // Every completed task has exactly its one success response, every failed one its error row
    // (or none, when the reconciler failed it for a dead worker).
    const orphans = await queryRows(
      database.db,
      sql`select t.id from batch_tasks t
          where t.status = 'completed'
            and not exists (select 1 from prompt_provider_responses r where r.batch_task_id = t.id and r.status = 'success')`,
    );
    expect(orphans).toEqual([]);
  });

  it('recovers a SIGKILLed worker’s tasks with nothing but another `sched worker --drain`', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const env = {
      DATABASE_URL: url,
      SIMULATED_PROFILE: 'demo',
      WORKER_CONCURRENCY: '8',
      WORKER_LEASE_SECONDS: '5',
      ...HIGH_LIMITS,
    };
    const doomed = spawnWorker([], env);
    const held = sql`status = 'processing' and locked_by like ${`%:${doomed.pid}:%`}`;
    await waitUntil(
      async () => (await count(sql`status = 'completed'`)) >= 10 && (await count(held)) > 0,
      60_000,
      10,
    );
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    await connectionsGone(doomed.pid);
    const orphaned = await queryRows<{ id: number }>(
      database.db,
      sql`select id from batch_tasks where ${held}`,
    );
    expect(orphaned.length).toBeGreaterThan(0);

    // No reconciler, no serve: a drain alone must finish the night, the dead worker's tasks included.
    const drain = spawnWorker(['--drain'], env);
    const timer = setTimeout(() => drain.child.kill('SIGKILL'), 90_000);
    const finished = await drain.exited;
    clearTimeout(timer);
    expect(finished.signal).toBeNull();
    expect(finished.code).toBe(0);

    expect(await count(sql`run_date = ${runDate}::date and status in ('pending', 'processing')`)).toBe(0);
    const recovered = await queryRows<{ status: string; attempts: number }>(
      database.db,
      sql`select status, attempts from batch_tasks
          where id in (select value::int from jsonb_array_elements_text(${JSON.stringify(orphaned.map((t) => t.id))}::jsonb))`,
    );
    // Each went back to the queue (its attempt counted) and was run again by the drain.
    for (const task of recovered) {
      expect(['completed', 'failed']).toContain(task.status);
      expect(task.attempts).toBeGreaterThanOrEqual(2);
    }
    const reconcilerRuns = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from scheduler_runs where function_name = 'batch-reconciler'`,
    );
    expect(reconcilerRuns?.n).toBe(0);
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);
  }, 180_000);

  it('paces each provider to its rpm across two processes, and both exit 0 on SIGTERM', async () => {
    await seedSmallDemo(database.db);
    await triggerToday(deps);
    // 60 rpm: one call a second per provider, whichever process makes it.
    const rpm = 60;
    // The limit is data shared by every worker, set once by an operator (not each worker's env).
    for (const name of PROVIDER_NAMES) {
      const set = await sched(['providers', 'set', name, '--rpm', String(rpm)], { DATABASE_URL: url });
      expect(set).toMatchObject({ code: 0, stderr: '' });
    }
    const env: Record<string, string> = { DATABASE_URL: url, SIMULATED_PROFILE: 'ideal', ...HIGH_LIMITS };
    const workers = [spawnWorker([], env), spawnWorker([], env)];
    const perProvider = 3;
    await waitUntil(async () => {
      const starts = await Promise.all(PROVIDER_NAMES.map((name) => plannedStarts(database.db, name)));
      return starts.every((s) => s.length >= perProvider);
    }, 60_000);
    // Both running, their SIGTERM handlers in place (a worker's first heartbeat comes after it):
    // on a busy machine one process could still be loading when the other had made the calls,
    // and a SIGTERM then killed it before it could handle it.
    await waitUntil(async () => {
      const pids = workers.map((w) => w.pid ?? 0);
      const live = await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from workers where pid = any(${sql.param(pids)}::int[])`,
      );
      return (live?.n ?? 0) >= workers.length;
    }, 120_000);
    for (const w of workers) w.child.kill('SIGTERM');
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const exit of exits) {
      expect(exit.code).toBe(0);
      expect(exit.stdout).toMatch(/^worker .*: claimed \d+/m);
    }
    for (const name of PROVIDER_NAMES) {
      const starts = await plannedStarts(database.db, name);
      expect(starts.length).toBeGreaterThanOrEqual(perProvider);
      expect(smallestGap(starts)).toBeGreaterThanOrEqual(60_000 / rpm - 1);
    }
    expect(await count(sql`status = 'processing'`)).toBe(0);
    // Whatever was claimed ran (or went back to the queue at the SIGTERM): nothing half done.
    expect(await count(sql`status = 'completed'`)).toBe(await count(sql`attempts > 0`));
  });
});
