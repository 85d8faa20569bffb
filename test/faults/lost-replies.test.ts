import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import type { Db } from '../../src/db/client.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * The reply to a committed write is lost: the connection drops after the server committed the
 * statement and before the client read the answer (what a restart or a network cut does to the
 * write in flight). The worker cannot tell it from a write that never ran, so it writes again;
 * its second completion must see that the first one landed, count the task as done and close
 * the job, or the night ends with jobs that stay open and a summary that calls its work lost.
 */

const dialect = new PgDialect();

/**
 * `db`, except that the first completion of each task commits and then "loses" its reply: the
 * statement that writes responses fails after it ran, once for every task id it carries that no
 * earlier lost statement carried. The worker batches completions (complete-task.ts), so the
 * statement's first parameter is the array of its task ids. Both paths a statement can take are
 * covered: drizzle's `execute` (PGlite) and the pool's named prepared statements (PostgreSQL).
 */
function losingReplies(db: Db, pattern: RegExp): { db: Db; lost: () => number } {
  const lostTasks = new Set<string>();
  const afterCommit = (text: string, params: readonly unknown[], rows: unknown[] | undefined) => {
    const ids = Array.isArray(params[0]) ? params[0].map(String) : [];
    const fresh = ids.filter((id) => !lostTasks.has(id));
    if (!pattern.test(text) || (rows ?? []).length === 0 || fresh.length === 0) return;
    for (const id of ids) lostTasks.add(id);
    throw new Error('Connection terminated unexpectedly');
  };
  const faulty = Object.create(db) as Db;
  faulty.execute = (async (query: SQL) => {
    const result = await db.execute(query);
    const { sql: text, params } = dialect.sqlToQuery(query);
    afterCommit(text, params, (result as unknown as { rows?: unknown[] }).rows);
    return result;
  }) as Db['execute'];
  const client = (db as unknown as { $client: unknown }).$client;
  if (client instanceof pg.Pool) {
    const pool = Object.create(client) as pg.Pool;
    pool.query = (async (config: pg.QueryConfig) => {
      const result = await client.query(config);
      afterCommit(config.text, config.values ?? [], result.rows);
      return result;
    }) as unknown as pg.Pool['query'];
    Object.defineProperty(faulty, '$client', { value: pool });
  }
  return { db: faulty, lost: () => lostTasks.size };
}

describe.each(backends())('a worker whose completion replies are lost on $name', (backend) => {
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
  });

  it('counts each committed completion once and closes every job', async () => {
    const runDate = await triggerToday(deps);
    const faulty = losingReplies(database.db, /insert into prompt_provider_responses/);
    const summary = await startWorker(
      { ...deps, db: faulty.db },
      {
        adapters: simulatedAdapters('ideal', { latencyMs: { min: 1, max: 3 } }),
        concurrency: 8,
        drain: true,
        dbRetryMs: 10,
      },
    ).done;
    expect(faulty.lost()).toBe(DEMO_UNITS);
    await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
    expect(summary).toMatchObject({ succeeded: DEMO_UNITS, failed: 0, lost: 0 });
  });
});
