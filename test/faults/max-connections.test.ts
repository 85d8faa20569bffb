import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { Processes, processEnv } from '../support/fault-night.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { canCreateCluster, createPrivateCluster, type PrivateCluster } from '../support/private-cluster.ts';
import { taskCounts } from '../support/scheduler-deps.ts';
import { type SpawnedWorker, spawnWorker } from '../support/spawn-worker.ts';
import { syncTestProviders, triggerToday, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * A server with fewer connections than the workers want: three `sched worker --drain` processes,
 * each with a pool of 8 and 8 calls in flight, against 9 connections for their role
 * (max_connections 12, 3 kept for superusers, which is how this test watches). Connections are
 * refused with "too many clients"; the workers back off and retry, and the night still ends
 * whole. A worker refused at start-up exits 69 (database unavailable), as documented; a
 * supervisor starts it again, as systemd or Kubernetes would.
 */

const MAX_CONNECTIONS = 12;
const WORKERS = 3;
/** How many times the supervisor starts a worker that exited 69 before the test gives up. */
const RESTARTS = 10;
/** PostgreSQL's refusals: every slot taken, or only superuser slots left. */
const REFUSED = /too many clients already|remaining connection slots are reserved/;

describe.skipIf(!canCreateCluster)('a night on a server whose max_connections is reached', () => {
  let cluster: PrivateCluster;
  let database: Database | undefined;
  const processes = new Processes();

  beforeAll(async () => {
    cluster = await createPrivateCluster({ settings: { max_connections: MAX_CONNECTIONS } });
    cluster.sql('create role sched login');
    cluster.sql('create database sched owner sched');
  }, 120_000);
  afterEach(() => processes.killAll());
  afterAll(async () => {
    await database?.close().catch(() => undefined);
    cluster?.drop();
  });

  it('refuses connections, and the workers still finish the night exactly', async () => {
    // Set up as the owner; then watch as the superuser, from the slots kept for superusers.
    const owner = await openDatabase({ url: cluster.url('sched', 'sched'), poolSize: 2 });
    try {
      await migrateDatabase(owner);
      await seedDemo(owner.db, { orgs: 8 });
      await syncTestProviders(workerDeps(owner.db));
    } finally {
      await owner.close();
    }
    database = await openDatabase({ url: cluster.url('sched'), poolSize: 2 });
    const db = database.db;
    const runDate = await triggerToday(workerDeps(db));
    const { total } = await taskCounts(db, runDate);
    expect(total).toBeGreaterThan(100);

    const env = processEnv(cluster.url('sched', 'sched'), {
      DB_POOL_SIZE: '8',
      WORKER_CONCURRENCY: '8',
      WORKER_LEASE_SECONDS: '20',
    });
    const exits: { code: number | null; signal: NodeJS.Signals | null; output: string }[] = [];
    /** Runs one worker to the end of the night, starting it again while it exits 69. */
    const supervise = async () => {
      for (let start = 0; start <= RESTARTS; start++) {
        const worker: SpawnedWorker = processes.add(spawnWorker(['--drain'], env));
        const exit = await worker.exited;
        exits.push({ code: exit.code, signal: exit.signal, output: exit.stdout + exit.stderr });
        if (exit.code !== EXIT.unavailable) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, supervise));

    // Every worker ended with 0, or was refused at start-up (69) and started again.
    for (const exit of exits) expect([0, EXIT.unavailable], exit.output.slice(-2_000)).toContain(exit.code);
    expect(exits.filter((e) => e.code === 0)).toHaveLength(WORKERS);
    // The limit was really reached: some connection was refused (the role's share of the slots).
    expect(exits.some((e) => REFUSED.test(e.output))).toBe(true);
    await waitUntil(async () => (await taskCounts(db, runDate)).live === 0, 30_000);
    await expectNightInvariants(db, runDate, { expectedUnits: total });
  }, 300_000);
});
