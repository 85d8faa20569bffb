import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { shortTransaction } from '../../src/db/transaction.ts';
import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import type { AskOptions, ProviderAdapter } from '../../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  plannedStarts,
  type RecordedCall,
  recording,
  smallestGap,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

/** Counts calls in flight across every adapter that shares it. */
function concurrencyProbe() {
  const probe = { now: 0, max: 0 };
  const wrap = (adapter: ProviderAdapter): ProviderAdapter => ({
    ...adapter,
    ask: async (prompt: string, options?: AskOptions) => {
      probe.now += 1;
      probe.max = Math.max(probe.max, probe.now);
      try {
        return await adapter.ask(prompt, options);
      } finally {
        probe.now -= 1;
      }
    },
  });
  return { probe, wrap };
}

describe.each(backends())('global provider limits on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
  });

  const slowOpenai = () => createSimulatedAdapter('openai', 'ideal', { latencyMs: { min: 30, max: 60 } });

  it('holds max_concurrency across two workers together, not per worker', async () => {
    await database.db.execute(sql`update providers set max_concurrency = 2 where name = 'openai'`);
    const { probe, wrap } = concurrencyProbe();
    const workers = [1, 2].map((n) =>
      startWorker(deps, {
        workerId: `worker-${n}`,
        adapters: new Map([['openai', wrap(slowOpenai())]]),
        concurrency: 8,
        drain: true,
      }),
    );
    const summaries = await Promise.all(workers.map((w) => w.done));
    expect(summaries.reduce((sum, s) => sum + s.succeeded, 0)).toBe(42);
    expect(probe.max).toBe(2);
  });

  const processing = async () =>
    (
      await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks where status = 'processing'`,
      )
    )?.n ?? 0;

  it('paces a provider across two workers: calls start 60 / rpm seconds apart, none before its turn', async () => {
    // 120 rpm: one call every 500 ms, whichever worker makes it.
    await database.db.execute(sql`update providers set rpm = 120 where name = 'openai'`);
    const calls: RecordedCall[] = [];
    const workers = [1, 2].map((n) =>
      startWorker(deps, {
        workerId: `worker-${n}`,
        adapters: new Map([['openai', recording(slowOpenai(), calls)]]),
        concurrency: 4,
        pollIntervalMs: 50,
      }),
    );
    await waitUntil(async () => calls.length >= 6, 60_000);
    await Promise.all(workers.map((w) => w.stop()));
    const planned = await plannedStarts(database.db, 'openai');
    expect(planned.length).toBeGreaterThanOrEqual(6);
    // Planned on the database clock, from the one row both workers lock: exact, however loaded.
    expect(smallestGap(planned)).toBeGreaterThanOrEqual(500 - 1);
    // Each call waited for its turn (the worker's clock and the database's are this machine's).
    const turns = await queryRows<{ prompt_id: string; ms: number }>(
      database.db,
      sql`select prompt_id, (extract(epoch from started_at) * 1000)::float8 as ms from batch_tasks
          where provider = 'openai' and attempts > 0`,
    );
    const turnOf = new Map(turns.map((t) => [t.prompt_id, Number(t.ms)]));
    for (const call of calls) {
      expect(call.startedAt).toBeGreaterThanOrEqual((turnOf.get(call.promptId ?? '') ?? Infinity) - 10);
    }
    expect(await processing()).toBe(0);
  });

  it('at 1 rpm, two workers polling make one call and wait a minute for the next', async () => {
    await database.db.execute(sql`update providers set rpm = 1 where name = 'openai'`);
    const calls: RecordedCall[] = [];
    const workers = [1, 2].map((n) =>
      startWorker(deps, {
        workerId: `worker-${n}`,
        adapters: new Map([['openai', recording(slowOpenai(), calls)]]),
        concurrency: 4,
        pollIntervalMs: 50,
      }),
    );
    await waitUntil(async () => calls.length >= 1, 30_000);
    // Both workers keep polling for a while with the minute's one call made.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await Promise.all(workers.map((w) => w.stop()));
    expect(calls).toHaveLength(1);
    expect(await plannedStarts(database.db, 'openai')).toHaveLength(1);
    expect(await processing()).toBe(0);
  });

  it('gives nothing of a paused provider, even to a claim that read the provider list before the pause', async () => {
    const before = await claimableProviders(database.db, ['openai']);
    expect(before.map((p) => p.name)).toEqual(['openai']);
    await database.db.execute(
      sql`update providers set paused_until = now() + interval '1 hour', pause_reason = 'rate_limited: 429'
          where name = 'openai'`,
    );
    expect(await claimableProviders(database.db, ['openai'])).toEqual([]);
    const claim = () =>
      claimTasks(database.db, {
        workerId: 'w',
        providers: before,
        limit: 4,
        leaseSeconds: 60,
      }).then((r) => r.tasks);
    expect(await claim()).toEqual([]);
    await database.db.execute(
      sql`update providers set paused_until = now() - interval '1 second', pause_reason = null
          where name = 'openai'`,
    );
    expect(await claim()).toHaveLength(4);
  });
});

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Two claims of one provider at once need two connections: PostgreSQL only. */
describe.each(sharedBackends())('concurrent claims on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
    deps = workerDeps(database.db);
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
  });
  afterAll(() => database.close());

  it('a claim that waited for another claim of the provider counts that claim’s tasks', async () => {
    await database.db.execute(sql`update providers set max_concurrency = 2 where name = 'openai'`);
    const providers = await claimableProviders(database.db, ['openai']);
    const claim = (db: typeof database.db, workerId: string) =>
      claimTasks(db, { workerId, providers, limit: 4, leaseSeconds: 60 }).then((r) => r.tasks);
    const commit = deferred<void>();
    const first = deferred<number>();
    // worker-a's claim commits only when told: it holds the provider's row meanwhile.
    const a = shortTransaction(database.db, async (tx) => {
      first.resolve((await claim(tx, 'worker-a')).length);
      await commit.promise;
    });
    expect(await first.promise).toBe(2);
    // worker-b's claim starts (and takes its snapshot) before worker-a's commit, then waits.
    const b = claim(database.db, 'worker-b');
    await waitUntil(async () => {
      const row = await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return (row?.n ?? 0) > 0;
    }, 30_000);
    commit.resolve();
    await a;
    expect(await b).toEqual([]);
    const held = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where provider = 'openai' and status = 'processing'`,
    );
    expect(held?.n).toBe(2);
  });
});
