import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AskOptions, ProviderAdapter, ProviderAnswer } from '../../src/providers/types.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { sharedBackends, type TestDatabase } from '../support/db.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  duplicateSuccesses,
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * A slot is a provider call, not its bookkeeping: once a call has ended, its slot takes the next
 * task while the completion commits (so a claim overlaps that write), with at most `concurrency`
 * calls in flight and at most as many completions waiting. Seen while the responses table is
 * locked by another session, so no completion can commit.
 */
describe.skipIf(sharedBackends().length > 0)('worker slots', () => {
  it.skip('need a PostgreSQL another session can lock: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('worker slots on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());

  it('frees a slot when its call ends: never more calls than the concurrency, never more waiting completions', async () => {
    const deps = workerDeps(database.db);
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    let calls = 0;
    let active = 0;
    let mostActive = 0;
    const counted = (adapter: ProviderAdapter): ProviderAdapter => ({
      name: adapter.name,
      model: adapter.model,
      simulated: adapter.simulated,
      async ask(prompt: string, options?: AskOptions): Promise<ProviderAnswer> {
        calls += 1;
        active += 1;
        mostActive = Math.max(mostActive, active);
        try {
          return await adapter.ask(prompt, options);
        } finally {
          active -= 1;
        }
      },
    });
    const adapters = new Map(
      [...simulatedAdapters('ideal', { latencyMs: { min: 0, max: 0 } })].map(([name, a]) => [
        name,
        counted(a),
      ]),
    );
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table prompt_provider_responses in exclusive mode');
    const worker = startWorker(deps, { adapters, concurrency: 2, drain: true, pollIntervalMs: 20 });
    try {
      // Two calls end, their completions wait on the lock, their slots take two more; then the
      // four waiting completions hold the worker until the lock goes.
      await waitUntil(async () => calls >= 4, 30_000);
      await setTimeout(500);
      expect(calls).toBe(4);
    } finally {
      await blocker.query('rollback');
      await blocker.end();
    }
    await worker.done;
    expect(mostActive).toBeLessThanOrEqual(2);
    const report = await measureCoverage(deps, { runDate });
    expect(report.units).toMatchObject({ expected: DEMO_UNITS, missing: 0 });
    expect(await duplicateSuccesses(database.db)).toEqual([]);
  });
});
