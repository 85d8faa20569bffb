import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db } from './client.ts';
import * as schema from './schema.ts';

/**
 * A short transaction that survives a dropped connection. drizzle's `transaction()` on a pg
 * pool runs BEGIN before its try block, so a BEGIN that fails (database restarting) never
 * releases its client: every failed claim during an outage would leak one, until the pool is
 * empty and the worker waits for ever. Here the client is always released, and destroyed
 * rather than reused when anything failed. PGlite has one in-process connection: drizzle's own
 * transaction is fine there.
 */
export async function shortTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return db.transaction((tx) => work(tx as unknown as Db));
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('begin');
    const result = await work(drizzle(client, { schema }) as unknown as Db);
    await client.query('commit');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release(failure);
  }
}
