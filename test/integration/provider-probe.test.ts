import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  type RecordedCall,
  recording,
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * After a provider pause runs out, its reason stays on the row until a call succeeds: until then
 * exactly one task of that provider is in flight, across every worker process (the probe).
 */

const FAST = { latencyMs: { min: 1, max: 3 } };
const ANTHROPIC_UNITS = 17;

describe.each(backends())('provider probe on $name', (backend) => {
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
    // An auth pause that has just run out; its reason is still on the row.
    await database.db.execute(
      sql`update providers set max_concurrency = 4, pause_reason = 'auth: invalid x-api-key',
                 paused_until = now() - interval '1 second'
          where name = 'anthropic'`,
    );
  });

  const anthropic = () =>
    queryRows<{ status: string; n: number }>(
      database.db,
      sql`select status, count(*)::int as n from batch_tasks where provider = 'anthropic'
          group by status order by status`,
    );

  it('hands out one probe at a time, whichever worker asks, until a success clears the reason', async () => {
    const claim = async (workerId: string) => {
      const providers = await claimableProviders(database.db, ['anthropic']);
      return (await claimTasks(database.db, { workerId, providers, limit: 8, leaseSeconds: 60 })).tasks;
    };
    const first = await claim('worker-a');
    expect(first).toHaveLength(1);
    expect(first[0]?.probe).toBe(true);
    expect(await claim('worker-b')).toEqual([]);
    expect(await claim('worker-a')).toEqual([]);

    await database.db.execute(sql`update providers set pause_reason = null, paused_until = null
                                  where name = 'anthropic'`);
    const after = await claim('worker-b');
    expect(after).toHaveLength(3); // max_concurrency 4, the probe still in flight
    expect(after.every((t) => !t.probe)).toBe(true);
  });

  it('a probe that fails again fails one task and pauses the provider again', async () => {
    const calls: RecordedCall[] = [];
    const adapters = simulatedAdapters('outage', FAST);
    const down = adapters.get('anthropic');
    if (!down) throw new Error('no anthropic adapter');
    adapters.set('anthropic', recording(down, calls));
    const summary = await startWorker(deps, { adapters, concurrency: 8, drain: true, skipPaused: true }).done;
    expect(calls.map((c) => c.outcome)).toEqual(['auth']);
    expect(summary.failed).toBe(1);
    expect(await anthropic()).toEqual([
      { status: 'failed', n: 1 },
      { status: 'pending', n: ANTHROPIC_UNITS - 1 },
    ]);
    const row = await queryOne<{ later: boolean; pause_reason: string }>(
      database.db,
      sql`select paused_until > now() + interval '10 minutes' as later, pause_reason
          from providers where name = 'anthropic'`,
    );
    expect(row).toEqual({ later: true, pause_reason: 'auth: invalid x-api-key' });
  });

  it('a probe that succeeds runs alone first, then the provider runs at its full concurrency', async () => {
    const calls: RecordedCall[] = [];
    const adapter = recording(
      createSimulatedAdapter('anthropic', 'ideal', { latencyMs: { min: 20, max: 30 } }),
      calls,
    );
    await startWorker(deps, { adapters: new Map([['anthropic', adapter]]), concurrency: 8, drain: true })
      .done;
    expect(calls).toHaveLength(ANTHROPIC_UNITS);
    const [probe, ...rest] = [...calls].sort((a, b) => a.startedAt - b.startedAt);
    if (!probe) throw new Error('no call');
    for (const call of rest) expect(call.startedAt).toBeGreaterThanOrEqual(probe.endedAt);
    expect(await anthropic()).toEqual([{ status: 'completed', n: ANTHROPIC_UNITS }]);
    const row = await queryOne<{ paused_until: Date | null; pause_reason: string | null }>(
      database.db,
      sql`select paused_until, pause_reason from providers where name = 'anthropic'`,
    );
    expect(row).toEqual({ paused_until: null, pause_reason: null });
  });
});
