import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne } from '../../src/db/client.ts';
import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import type { AskOptions, ProviderAdapter } from '../../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../../src/scheduler/claim-tasks.ts';
import { allocateClaims, claimAllowance } from '../../src/scheduler/rate-limit.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  maxCallsPerMinute,
  type RecordedCall,
  recording,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

describe('claim allowance', () => {
  it('takes what is ready, within max_concurrency and what is left of the minute', () => {
    const limits = { maxConcurrency: 8, rpm: 50 };
    expect(claimAllowance({ ready: 100, processing: 3, callsInWindow: 0 }, limits)).toBe(5);
    expect(claimAllowance({ ready: 100, processing: 0, callsInWindow: 48 }, limits)).toBe(2);
    expect(claimAllowance({ ready: 1, processing: 0, callsInWindow: 0 }, limits)).toBe(1);
    expect(claimAllowance({ ready: 100, processing: 9, callsInWindow: 60 }, limits)).toBe(0);
  });

  it('lets one probe through after a pause, whatever max_concurrency says', () => {
    const limits = { maxConcurrency: 8, rpm: 50 };
    expect(claimAllowance({ ready: 100, processing: 0, callsInWindow: 0, probing: true }, limits)).toBe(1);
    expect(claimAllowance({ ready: 100, processing: 1, callsInWindow: 0, probing: true }, limits)).toBe(0);
    expect(claimAllowance({ ready: 100, processing: 0, callsInWindow: 50, probing: true }, limits)).toBe(0);
  });

  it('spreads free slots over providers in turn, each up to its allowance', () => {
    const allocation = allocateClaims(7, [
      { name: 'openai', allowed: 10 },
      { name: 'anthropic', allowed: 1 },
      { name: 'gemini', allowed: 0 },
      { name: 'perplexity', allowed: 10 },
    ]);
    expect(Object.fromEntries(allocation)).toEqual({ openai: 3, anthropic: 1, perplexity: 3 });
    expect(allocateClaims(5, [{ name: 'openai', allowed: 2 }]).get('openai')).toBe(2);
  });
});

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

  it('holds rpm across two workers together: no more calls in a minute than the limit', async () => {
    await database.db.execute(sql`update providers set rpm = 5 where name = 'openai'`);
    const calls: RecordedCall[] = [];
    const workers = [1, 2].map((n) =>
      startWorker(deps, {
        workerId: `worker-${n}`,
        adapters: new Map([['openai', recording(slowOpenai(), calls)]]),
        concurrency: 4,
        pollIntervalMs: 50,
      }),
    );
    const started = async () =>
      (await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from provider_calls`))?.n ??
      0;
    await waitUntil(async () => (await started()) >= 5, 30_000);
    // Both workers keep polling for a while with the minute's budget spent.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await Promise.all(workers.map((w) => w.stop()));
    expect(calls).toHaveLength(5);
    expect(await started()).toBe(5);
    expect(await maxCallsPerMinute(database.db, 'openai')).toBe(5);
    const processing = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where status = 'processing'`,
    );
    expect(processing?.n).toBe(0);
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
      });
    expect(await claim()).toEqual([]);
    await database.db.execute(
      sql`update providers set paused_until = now() - interval '1 second', pause_reason = null
          where name = 'openai'`,
    );
    expect(await claim()).toHaveLength(4);
  });
});
