import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, queryOne } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { Processes, processEnv } from '../support/fault-night.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { call } from '../support/ops-server.ts';
import { canCreateCluster, createPrivateCluster, type PrivateCluster } from '../support/private-cluster.ts';
import { taskCounts } from '../support/scheduler-deps.ts';
import { BotProcess } from '../support/spawn-bot.ts';
import { spawnWorker } from '../support/spawn-worker.ts';
import { syncTestProviders, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * The database server restarts twice in the middle of a night (`pg_ctlcluster stop -m fast`,
 * later `-m immediate`, a crash the server recovers from) while `sched serve` and two `sched worker`
 * processes run: every process rides it out (no exit), the night finishes by itself once the
 * server is back, and nothing is lost or done twice. On a private cluster: the shared server is
 * never restarted.
 */

const SECRET = 'cron-secret-for-restart-faults';
/** Never due in these tests (January 1st only): the night starts when the test asks serve for it. */
const NOT_TODAY = '0 0 1 1 *';

/** A poll that tolerates the moments when the server is away. */
const tolerant = (check: () => Promise<boolean>) => () => check().catch(() => false);

describe.skipIf(!canCreateCluster)('PostgreSQL restarted mid-night while serve and two workers run', () => {
  let cluster: PrivateCluster;
  const processes = new Processes();
  let database: Database | undefined;

  beforeAll(async () => {
    cluster = await createPrivateCluster();
  }, 120_000);
  afterEach(async () => {
    processes.killAll();
    await database?.close().catch(() => undefined);
    database = undefined;
  });
  afterAll(() => cluster?.drop());

  it('restarts fast, then immediate: every process rides both out, the night ends whole', async () => {
    cluster.sql('create database night');
    const url = cluster.url('night');
    database = await openDatabase({ url, poolSize: 3, connectionTimeoutMs: 5_000 });
    const db = database.db;
    await migrateDatabase(database);
    await seedDemo(db, { orgs: 12 });
    await syncTestProviders(workerDeps(db));

    const env = processEnv(url, { WORKER_CONCURRENCY: '2', WORKER_LEASE_SECONDS: '10' });
    const serve = processes.add(
      BotProcess.sched(['serve'], {
        ...env,
        PORT: '0',
        CRON_SECRET: SECRET,
        LOG_LEVEL: 'info',
        TRIGGER_CRON: NOT_TODAY,
        POSTCHECK_CRON: NOT_TODAY,
      }),
    );
    const workers = [spawnWorker([], env), spawnWorker([], env)].map((w) => processes.add(w));
    const port = await serve.port(180_000);
    // serve's worker and the two others have registered.
    await waitUntil(async () => {
      const row = await queryOne<{ n: number }>(db, sql`select count(*)::int as n from workers`);
      return (row?.n ?? 0) >= 3;
    }, 180_000);

    const triggered = await call(`http://127.0.0.1:${port}/functions/v1/daily-batch-trigger`, {
      secret: SECRET,
    });
    expect(triggered.status, triggered.text).toBe(200);
    const runDate = String(triggered.json.runDate);
    const { total } = await taskCounts(db, runDate);
    expect(total).toBeGreaterThan(200);

    // A quarter of the night done: fast (connections cut, transactions rolled back); a quarter
    // later: immediate (a crash; the server replays its WAL when it starts).
    for (const [mode, share] of [
      ['fast', 0.25],
      ['immediate', 0.5],
    ] as const) {
      await waitUntil(
        tolerant(async () => {
          const c = await taskCounts(db, runDate);
          return c.completed + c.failed >= total * share;
        }),
        180_000,
        100,
      );
      expect((await taskCounts(db, runDate)).live, `${mode}: mid-night`).toBeGreaterThan(0);
      cluster.stop(mode);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      cluster.start();
    }

    await waitUntil(
      tolerant(async () => (await taskCounts(db, runDate)).live === 0),
      180_000,
      250,
    );
    // Nobody died of it: all three still run, and stop cleanly when asked.
    expect(serve.running, serve.output).toBe(true);
    expect(workers.map((w) => w.child.exitCode)).toEqual([null, null]);
    serve.kill('SIGTERM');
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await serve.exited, serve.output).toBe(0);
    for (const w of workers) {
      const exit = await w.exited;
      expect(exit, exit.stdout + exit.stderr).toMatchObject({ code: 0, signal: null });
    }
    await expectNightInvariants(db, runDate, { expectedUnits: total });
  }, 300_000);
});
