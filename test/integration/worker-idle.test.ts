import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne } from '../../src/db/client.ts';
import { releaseTask } from '../../src/queue/release-task.ts';
import { startWorker, type WorkerHandle, type WorkerOptions } from '../../src/scheduler/worker.ts';
import { countStatements } from '../support/count-statements.ts';
import { backends, sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * Idle workers sleep (issue 11, item 4): between nights a worker sends a few statements a minute,
 * not a claim every 250 ms; NOTIFY wakes it at once whatever its back-off; a retry due later
 * wakes it when due; without its LISTEN connection it polls, and it listens again.
 */

const FAST = { latencyMs: { min: 1, max: 3 } };
const TEN_MINUTES = 600_000;
/** Every sleep ten minutes: only a wake-up can make this worker claim within a test. */
const ASLEEP: Partial<WorkerOptions> = {
  pollIntervalMs: TEN_MINUTES,
  idlePollMs: TEN_MINUTES,
  maxIdlePollMs: TEN_MINUTES,
};

/**
 * Records the worker's idle sleeps; `reach(n)` resolves once it has gone to sleep n times in all.
 * The second sleep comes after LISTEN is in place (getting it wakes the worker for one round):
 * from then on, with every sleep ten minutes long, only a wake-up makes it claim.
 */
function idleWatch() {
  const sleeps: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    sleeps,
    onIdle(ms: number) {
      sleeps.push(ms);
      for (const w of waiters.filter((w) => sleeps.length >= w.n)) w.resolve();
    },
    /** Resolves after the n-th sleep, or after `fallbackMs` (a worker that never reports one). */
    reach(n: number, fallbackMs: number): Promise<void> {
      if (sleeps.length >= n) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, fallbackMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

const liveTasks = async (deps: Deps) =>
  (
    await queryOne<{ n: number }>(
      deps.db,
      sql`select count(*)::int as n from batch_tasks where status in ('pending', 'processing')`,
    )
  )?.n;

const completedTasks = async (database: TestDatabase) =>
  (
    await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where status = 'completed'`,
    )
  )?.n ?? 0;

describe.each(backends())('idle worker on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
    await syncTestProviders(deps);
  });

  it('sends a few statements while idle, sleeping longer each time it finds nothing', async () => {
    const idle = idleWatch();
    const counter = countStatements();
    try {
      worker = startWorker(
        { ...deps, database },
        { adapters: simulatedAdapters('ideal', FAST), concurrency: 8, onIdle: idle.onIdle },
      );
      // Three empty claim rounds. A worker that never says it sleeps is given 20 s: polling
      // every 250 ms it sends hundreds of statements in that time.
      await idle.reach(3, 20_000);
      const statements = counter.count();
      // Heartbeat, LISTEN, lease sweep, three claim rounds (a provider read, a short transaction).
      expect(statements).toBeGreaterThan(0);
      expect(statements).toBeLessThanOrEqual(25);
      expect(idle.sleeps.length).toBeGreaterThanOrEqual(3);
      // Listening, the back-off doubles from 2 s: by the third empty round it sleeps 4 s or more.
      expect(idle.sleeps.at(-1)).toBeGreaterThanOrEqual(4_000);
      expect(Math.min(...idle.sleeps)).toBeGreaterThanOrEqual(2_000);
    } finally {
      counter.restore();
    }
  });

  it('claims tasks as soon as they are enqueued, though its back-off is ten minutes', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const idle = idleWatch();
    worker = startWorker(
      { ...deps, database },
      { adapters: simulatedAdapters('ideal', FAST), concurrency: 16, onIdle: idle.onIdle, ...ASLEEP },
    );
    await idle.reach(2, 3_000);
    await triggerToday(deps);
    await waitUntil(async () => (await liveTasks(deps)) === 0);
    expect(await completedTasks(database)).toBeGreaterThan(0);
  });

  it('claims again when the pacing lets the next call through, though its back-off is ten minutes', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    // A call every 1.5 s per provider, longer than a claim looks ahead (1 s): once a call has
    // ended, the next claim finds ready tasks that the pacing alone holds back, with nothing in
    // flight to wake the worker. That is not an idle queue: it once slept the ten minutes here.
    await database.db.execute(sql`update providers set rpm = 40`);
    worker = startWorker(
      { ...deps, database },
      { adapters: simulatedAdapters('ideal', FAST), concurrency: 16, ...ASLEEP },
    );
    await triggerToday(deps);
    // Three calls per provider: the first at once, the next two each on its pacing turn.
    await waitUntil(async () => (await completedTasks(database)) >= 12, 20_000);
  });

  it('wakes when a retry pushed into the future becomes due, though its back-off is ten minutes', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
    // Three tasks held by a worker that is gone (leases far away), nothing else to claim.
    await database.db.execute(sql`delete from batch_tasks where id not in
      (select id from batch_tasks order by id limit 3)`);
    await database.db.execute(sql`update batch_tasks set status = 'processing', locked_by = 'gone',
      attempts = 1, started_at = now(), lease_expires_at = now() + interval '1 hour'`);
    const idle = idleWatch();
    worker = startWorker(
      { ...deps, database },
      { adapters: simulatedAdapters('ideal', FAST), concurrency: 4, onIdle: idle.onIdle, ...ASLEEP },
    );
    await idle.reach(2, 3_000);
    const task = await queryOne<{ id: number; run_date: string }>(
      database.db,
      sql`select id::int as id, run_date::text from batch_tasks order by id limit 1`,
    );
    expect(
      await releaseTask(database.db, {
        taskId: Number(task?.id),
        runDate: String(task?.run_date),
        workerId: 'gone',
        delayMs: 1_500,
        refundAttempt: false,
      }),
    ).toBe(true);
    await waitUntil(async () => {
      const row = await queryOne<{ status: string }>(
        database.db,
        sql`select status from batch_tasks where id = ${Number(task?.id)}`,
      );
      return row?.status === 'completed';
    });
    const row = await queryOne<{ waited: boolean }>(
      database.db,
      sql`select completed_at >= available_at as waited from batch_tasks where id = ${Number(task?.id)}`,
    );
    expect(row?.waited).toBe(true);
  });
});

describe.each(sharedBackends())('idle worker whose LISTEN connection is killed, on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  let worker: WorkerHandle | undefined;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
    await syncTestProviders(deps);
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
  });

  const listenBackends = async () =>
    (
      await queryOne<{ pids: number[] }>(
        database.db,
        sql`select coalesce(array_agg(pid order by pid), '{}') as pids from pg_stat_activity
            where datname = current_database()
              and application_name = ${`sched-bot listen ${process.pid}`}`,
      )
    )?.pids ?? [];
  const killListener = async () => {
    const [pid] = await listenBackends();
    expect(pid).toBeDefined();
    await database.db.execute(sql`select pg_terminate_backend(${pid}::int)`);
    await waitUntil(async () => !(await listenBackends()).includes(Number(pid)));
    return Number(pid);
  };

  it('polls every idlePollMs while it cannot listen, and finds new tasks that way', async () => {
    const idle = idleWatch();
    worker = startWorker(
      { ...deps, database },
      {
        adapters: simulatedAdapters('ideal', FAST),
        concurrency: 16,
        onIdle: idle.onIdle,
        pollIntervalMs: TEN_MINUTES,
        idlePollMs: 200,
        maxIdlePollMs: TEN_MINUTES,
        // Not back within the test: only polling can find the tasks.
        listenRetryMs: TEN_MINUTES,
      },
    );
    // Listening, the back-off has grown past the poll.
    await waitUntil(async () => (idle.sleeps.at(-1) ?? 0) >= 800);
    await killListener();
    const before = idle.sleeps.length;
    await idle.reach(before + 3, 60_000);
    // Not listening: no doubling, a poll every 200 ms.
    expect(idle.sleeps.length).toBeGreaterThanOrEqual(before + 3);
    expect(new Set(idle.sleeps.slice(before))).toEqual(new Set([200]));
    await triggerToday(deps);
    await waitUntil(async () => (await liveTasks(deps)) === 0);
  });

  it('listens again after the connection is killed, and NOTIFY wakes it again', async () => {
    const idle = idleWatch();
    worker = startWorker(
      { ...deps, database },
      {
        adapters: simulatedAdapters('ideal', FAST),
        concurrency: 16,
        onIdle: idle.onIdle,
        ...ASLEEP,
        listenRetryMs: 100,
      },
    );
    await waitUntil(async () => (await listenBackends()).length === 1);
    await idle.reach(2, 3_000);
    // Losing the connection and getting it back each wake the worker for one claim round: once
    // both are done, only a NOTIFY can make it claim.
    const before = idle.sleeps.length;
    const killed = await killListener();
    await waitUntil(async () => {
      const pids = await listenBackends();
      return pids.length === 1 && !pids.includes(killed);
    });
    await idle.reach(before + 2, 60_000);
    await triggerToday(deps);
    await waitUntil(async () => (await liveTasks(deps)) === 0);
  });
});
