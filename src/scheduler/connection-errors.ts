import pg from 'pg';
import type { Db } from '../db/client.ts';

/**
 * pg emits 'error' on a client whose connection drops while it is checked out (inside a
 * transaction, or between a failed query and its release), and pg-pool listens only while a
 * client is idle: on a database restart that unheard event would crash the worker process.
 * This gives every client the pool hands out a listener of its own; the query in flight still
 * fails, and the worker loop logs it and retries. (The better home for this is the pool set-up
 * in src/db/client.ts; until then the worker guards the pool it is given.)
 */
const guarded = new WeakSet<object>();

export function guardConnectionErrors(db: Db, onError: (error: Error) => void): void {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool) || guarded.has(pool)) return;
  guarded.add(pool);
  const listening = new WeakSet<object>();
  pool.on('acquire', (client) => {
    if (listening.has(client)) return;
    listening.add(client);
    client.on('error', onError);
  });
}
