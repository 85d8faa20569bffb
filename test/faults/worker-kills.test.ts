import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { sharedBackends, type TestDatabase } from '../support/db.ts';
import { heldBy, Processes, processEnv } from '../support/fault-night.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { taskCounts } from '../support/scheduler-deps.ts';
import { type SpawnedWorker, spawnWorker } from '../support/spawn-worker.ts';
import { syncTestProviders, triggerToday, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * Worker processes SIGKILLed again and again during one night, each replaced by a new one, as a
 * supervisor would: whatever a dead worker held comes back when its lease runs out (any worker
 * sweeps it), and the night ends with every unit answered or failed exactly once.
 */

const KILLS = 3;
const WORKERS = 2;

describe.skipIf(sharedBackends().length > 0)('workers killed during a night', () => {
  it.skip('need a PostgreSQL that several processes share: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('workers SIGKILLed during a night on $name', (backend) => {
  let database: TestDatabase;
  const processes = new Processes();
  beforeAll(async () => {
    database = await backend.create();
  });
  afterEach(() => processes.killAll());
  afterAll(() => database.close());

  it(`loses and duplicates nothing through ${KILLS} SIGKILLs and restarts`, async () => {
    const db = database.db;
    await seedDemo(db, { orgs: 12 });
    await syncTestProviders(workerDeps(db));
    const runDate = await triggerToday(workerDeps(db));
    const { total } = await taskCounts(db, runDate);
    expect(total).toBeGreaterThan(200);

    // Short leases so a dead worker's tasks come back soon; --drain so the survivors exit once
    // the night is over (expired leases included: a draining worker sweeps them itself).
    const env = processEnv(database.url ?? '', { WORKER_CONCURRENCY: '2', WORKER_LEASE_SECONDS: '8' });
    const start = () => processes.add(spawnWorker(['--drain'], env));
    const running: SpawnedWorker[] = Array.from({ length: WORKERS }, start);
    const survivors: SpawnedWorker[] = [];
    const ended = async () => {
      const c = await taskCounts(db, runDate);
      return c.completed + c.failed;
    };

    const step = Math.floor(total / (KILLS + 3));
    let orphaned = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const before = await ended();
      // A victim holding work, once the night has moved on: each kill orphans tasks mid-call.
      let victim: SpawnedWorker | undefined;
      await waitUntil(async () => {
        if ((await ended()) < before + step) return false;
        for (const w of running) if ((await heldBy(db, w.pid)) > 0) victim = w;
        return victim !== undefined;
      }, 120_000);
      if (!victim) throw new Error('no victim');
      orphaned += await heldBy(db, victim.pid);
      victim.child.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');
      running.splice(running.indexOf(victim), 1, start());
    }
    survivors.push(...running);
    expect(orphaned).toBeGreaterThan(0);

    for (const w of survivors) {
      const exit = await w.exited;
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    }
    await expectNightInvariants(db, runDate, { expectedUnits: total });
  }, 300_000);
});
