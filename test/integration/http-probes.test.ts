import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { installedAt } from '../support/insert-rows.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { clockedDeps, seedSmallDemo } from '../support/scheduler-deps.ts';
import { pgliteTemplate } from '../support/template.ts';

/**
 * /livez and /readyz are for service managers and load balancers: a night that needs attention,
 * a missed night or a late step turns /healthz red (503, for monitors) and never these two.
 */

// 11:00 in New York on Mar 9: the trigger and postcheck of the day are long overdue.
const NOW = '2026-03-09T15:00:00Z';

describe.each(backends())('/livez and /readyz on $name', (backend) => {
  let database: TestDatabase;
  let server: OpsServer;

  beforeAll(async () => {
    database = await backend.create();
    await seedSmallDemo(database.db);
    // Installed a week before: several owed nights never ran, and today's steps are overdue.
    await installedAt(database.db, '2026-03-01T00:00:00Z');
    server = await startOpsServer(clockedDeps(database.db, NOW));
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('stay green while /healthz is red for the night', async () => {
    const health = await call(`${server.url}/healthz`, { method: 'GET' });
    expect(health.status).toBe(503);
    expect(health.json.reasons.join('\n')).toMatch(/night_missed: 2026-03-08/);
    const live = await call(`${server.url}/livez`, { method: 'GET' });
    expect(live.status).toBe(200);
    expect(live.json.status).toBe('ok');
    const ready = await call(`${server.url}/readyz`, { method: 'GET' });
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', database: 'reachable' });
  });
});

describe('/readyz without a database', () => {
  it('answers 503 with Retry-After while /livez stays 200', async () => {
    const closed = await openDatabase({ pgliteDir: 'memory://', pgliteTemplate: await pgliteTemplate() });
    await closed.close();
    const failing = await startOpsServer(clockedDeps(closed.db, NOW));
    try {
      const ready = await call(`${failing.url}/readyz`, { method: 'GET' });
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('30');
      expect(ready.json).toMatchObject({ status: 'unready', error: 'database_unavailable' });
      expect((await call(`${failing.url}/livez`, { method: 'GET' })).status).toBe(200);
    } finally {
      await failing.close();
    }
  });
});
