import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import type { ProviderAdapter, ProviderAnswer, ProviderName } from '../../src/providers/types.ts';
import { reconcile, runReconciler } from '../../src/scheduler/reconciler.ts';
import { startWorker, type WorkerHandle, type WorkerSummary } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  inexactJobs,
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * Leases on the database clock: machines whose clocks disagree by minutes still agree
 * on when a lease ends, and every worker, not only the reconciler, returns expired leases.
 */

const SKEW_MS = 3 * 60_000;
const FAST = { latencyMs: { min: 1, max: 3 } };

/** An adapter whose calls wait until the test opens the gate; `started` resolves on the first call. */
function gated(name: ProviderName) {
  const inner = createSimulatedAdapter(name, 'ideal', FAST);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let started!: () => void;
  const first = new Promise<void>((resolve) => {
    started = resolve;
  });
  const adapter: ProviderAdapter = {
    ...inner,
    async ask(prompt, options): Promise<ProviderAnswer> {
      started();
      await gate;
      return inner.ask(prompt, options);
    },
  };
  return { adapter, started: first, open };
}

/** A process clock `offsetMs` away from the real one: another machine's. */
const skewed = (deps: Deps, offsetMs: number): Deps => ({
  ...deps,
  clock: () => new Date(Date.now() + offsetMs),
});

/** `worker.done`, or undefined when it has not finished within `ms` (the worker is then stopped). */
async function finishes(worker: WorkerHandle, ms: number): Promise<WorkerSummary | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const summary = await Promise.race([worker.done, late]);
  clearTimeout(timer);
  if (!summary) await worker.stop();
  return summary;
}

describe.each(backends())('leases on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db, { WORKER_LEASE_SECONDS: '60' });
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
  });

  const processing = () =>
    queryRows<{ id: number; locked_by: string }>(
      database.db,
      sql`select id, locked_by from batch_tasks where status = 'processing' order by id`,
    );

  /** One task in flight, held by a worker on `workerDeps`; then `meanwhile`; then the call answers. */
  async function inFlight(workerDepsUsed: Deps, meanwhile: () => Promise<void>) {
    const gate = gated('openai');
    const worker = startWorker(workerDepsUsed, {
      adapters: new Map([['openai', gate.adapter]]),
      concurrency: 1,
    });
    await gate.started;
    const [held] = await processing();
    if (!held) throw new Error('nothing in flight');
    await meanwhile();
    gate.open();
    await waitUntil(async () => {
      const row = await queryOne<{ status: string }>(
        database.db,
        sql`select status from batch_tasks where id = ${held.id}`,
      );
      return row?.status !== 'processing';
    }, 10_000);
    const summary = await worker.stop().then(() => worker.done);
    const task = await queryOne<{ status: string; attempts: number; responses: number }>(
      database.db,
      sql`select status, attempts,
                 (select count(*)::int from prompt_provider_responses r where r.batch_task_id = t.id) as responses
          from batch_tasks t where id = ${held.id}`,
    );
    return { summary, task };
  }

  it('a reconciler whose clock runs 3 minutes ahead leaves a healthy in-flight task alone; its result is kept', async () => {
    let requeued = -1;
    const { summary, task } = await inFlight(deps, async () => {
      requeued = (await runReconciler(skewed(deps, SKEW_MS))).requeued;
    });
    expect(requeued).toBe(0);
    expect(task).toEqual({ status: 'completed', attempts: 1, responses: 1 });
    expect(summary.lost).toBe(0);
  });

  it('a worker whose clock runs 3 minutes behind holds its lease for the full length; its result is kept', async () => {
    let requeued = -1;
    const { summary, task } = await inFlight(skewed(deps, -SKEW_MS), async () => {
      requeued = (await reconcile(database.db, new Date())).requeued;
    });
    expect(requeued).toBe(0);
    expect(task).toEqual({ status: 'completed', attempts: 1, responses: 1 });
    expect(summary.lost).toBe(0);
  });

  it('a worker 3 minutes ahead claims a lease that ends a lease length after the database clock', async () => {
    const { task } = await inFlight(skewed(deps, SKEW_MS), async () => {
      const lease = await queryOne<{ seconds: number }>(
        database.db,
        sql`select extract(epoch from lease_expires_at - now())::float8 as seconds
            from batch_tasks where status = 'processing'`,
      );
      expect(lease?.seconds).toBeGreaterThan(30);
      expect(lease?.seconds).toBeLessThanOrEqual(60);
    });
    expect(task?.status).toBe('completed');
  });

  it('a draining worker returns a dead worker’s expired leases to the queue itself, no reconciler needed', async () => {
    const dead = await queryRows<{ id: number }>(
      database.db,
      sql`update batch_tasks set status = 'processing', attempts = 1, locked_by = 'gone:1:dead',
                 started_at = now() - interval '5 minutes', lease_expires_at = now() - interval '1 second'
          where id in (select id from batch_tasks where provider = 'openai' order by id limit 3)
          returning id`,
    );
    expect(dead).toHaveLength(3);
    const summary = await finishes(
      startWorker(deps, { adapters: simulatedAdapters('ideal', FAST), concurrency: 16, drain: true }),
      20_000,
    );
    expect(summary).toBeDefined();
    const left = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where status <> 'completed'`,
    );
    expect(left?.n).toBe(0);
    expect(await inexactJobs(database.db)).toEqual([]);
  });

  it("a serving worker's heartbeat finds expired leases and sweeps them back, and fails those out of attempts", async () => {
    const worker = startWorker(deps, {
      adapters: simulatedAdapters('ideal', FAST),
      concurrency: 16,
      heartbeatMs: 200,
    });
    try {
      await waitUntil(async () => {
        const row = await queryOne<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks where status in ('pending', 'processing')`,
        );
        return row?.n === 0;
      }, 20_000);
      // Then a worker dies holding two tasks: one with attempts left, one on its last.
      await database.db.execute(
        sql`update batch_tasks set status = 'processing', attempts = case when provider = 'openai' then 1 else 3 end,
                   locked_by = 'gone:1:dead', lease_expires_at = now() - interval '1 second', completed_at = null
            where id in (select id from batch_tasks where provider = 'openai' order by id limit 1)
               or id in (select id from batch_tasks where provider = 'gemini' order by id limit 1)`,
      );
      await database.db.execute(sql`delete from prompt_provider_responses
        where batch_task_id in (select id from batch_tasks where locked_by = 'gone:1:dead')`);
      await database.db.execute(sql`update batch_jobs j set status = 'processing',
          completed_tasks = (select count(*) from batch_tasks t where t.batch_job_id = j.id and t.status = 'completed'),
          completed_at = null`);
      await waitUntil(async () => (await processing()).length === 0, 10_000);
      await waitUntil(async () => (await inexactJobs(database.db)).length === 0, 10_000);
    } finally {
      await worker.stop();
    }
    const states = await queryRows<{ provider: string; status: string; error_class: string | null }>(
      database.db,
      sql`select provider, status, error_class from batch_tasks where status <> 'completed'`,
    );
    expect(states).toEqual([{ provider: 'gemini', status: 'failed', error_class: 'timeout' }]);
  });
});
