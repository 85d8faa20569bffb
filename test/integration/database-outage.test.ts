import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { sched } from '../support/cli.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { canCreateCluster, createPrivateCluster, type PrivateCluster } from '../support/private-cluster.ts';
import { clockedDeps, seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * A PostgreSQL that goes away (a private cluster, stopped and started again): the cron endpoints
 * and /healthz answer 503 with Retry-After, so an external scheduler knows to retry, and recover by
 * themselves when the server is back; the CLI facing "too many clients" or an unknown database
 * says so in one line naming DATABASE_URL, exit 69 (78 for the unknown database: a configuration error).
 */

const SECRET = 'cron-secret-for-outage-tests';
const ENDPOINTS = ['daily-batch-trigger', 'batch-reconciler', 'scheduler-postcheck', 'manual-daily-run'];

describe.skipIf(!canCreateCluster)('a PostgreSQL server that is down or full', () => {
  let cluster: PrivateCluster;
  let database: Database;
  let server: OpsServer;

  beforeAll(async () => {
    cluster = await createPrivateCluster();
    cluster.sql('create database sched');
    cluster.sql('create role limited login connection limit 0');
    database = await openDatabase({ url: cluster.url('sched'), poolSize: 4, connectionTimeoutMs: 5_000 });
    await migrateDatabase(database);
    await seedSmallDemo(database.db);
    server = await startOpsServer(clockedDeps(database.db, new Date(), { CRON_SECRET: SECRET }));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await database?.close().catch(() => undefined);
    cluster?.drop();
  });

  it('the CLI, facing "too many clients": one line naming DATABASE_URL, exit 69', async () => {
    const result = await sched(['status'], { DATABASE_URL: cluster.url('sched', 'limited') });
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`DATABASE_URL (127.0.0.1:${cluster.port}/sched)`);
    expect(result.stderr).toMatch(/connection limit/);
  });

  it('the CLI, facing an unknown database: one line naming DATABASE_URL, exit 78', async () => {
    const result = await sched(['history'], { DATABASE_URL: cluster.url('no_such_db') });
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/DATABASE_URL .*no_such_db.*does not exist/);
  });

  it('HTTP: 503 with Retry-After while the server is stopped, 200 again once it is back', async () => {
    expect((await call(`${server.url}/functions/v1/batch-reconciler`, { secret: SECRET })).status).toBe(200);
    cluster.stop();
    try {
      for (const name of ENDPOINTS) {
        const response = await call(`${server.url}/functions/v1/${name}`, { secret: SECRET });
        expect(response.status, `${name}: ${response.text}`).toBe(503);
        expect(Number(response.headers.get('retry-after')), name).toBeGreaterThan(0);
        expect(response.json).toMatchObject({
          error: 'database_unavailable',
          retryAfterSeconds: Number(response.headers.get('retry-after')),
        });
      }
      const health = await call(`${server.url}/healthz`, { method: 'GET' });
      expect(health.status, health.text).toBe(503);
      expect(Number(health.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(health.json).toMatchObject({ error: 'database_unavailable', database: { reachable: false } });
      // Prometheus keeps the process metrics and learns of the outage from a counter, not a 503.
      const metrics = await call(`${server.url}/metrics`, { method: 'GET' });
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^sched_metrics_database_errors_total [1-9]/m);
    } finally {
      cluster.start();
    }
    const back = await call(`${server.url}/functions/v1/batch-reconciler`, { secret: SECRET });
    expect(back.status, back.text).toBe(200);
  });
});
