import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { markConnectError } from './connection-errors.ts';
import { acquireEmbeddedLock } from './embedded-lock.ts';
import { withEventLoopTurns } from './pglite-turns.ts';
import * as schema from './schema.ts';

/** One drizzle type for both backends: the code path is the same on PGlite and on PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Runs `fn` on one dedicated connection (advisory locks, LISTEN); PGlite has only one anyway. */
  withConnection<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  listen: Listen;
  close(): Promise<void>;
}

/**
 * LISTEN on `channel`. On PostgreSQL it holds a connection of its own, outside the pool (a pooled
 * client would be handed to queries and released); `onLost` runs once if that connection drops,
 * and the caller listens again (wake-up.ts). PGlite is in-process: its listener is never lost.
 * Resolves once LISTEN is in place, with the function that stops it.
 */
export type Listen = (
  channel: string,
  onNotify: (payload: string) => void,
  onLost: (error: Error) => void,
) => Promise<() => Promise<void>>;

export interface DatabaseOptions {
  /** postgres:// URL; without it the embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory, or `memory://` for a throw-away database. */
  pgliteDir?: string;
  /**
   * PGlite only: a data directory tarball (`dumpDataDir`) to start from instead of an empty
   * cluster. Tests start each database from one migrated copy: initdb is most of a new PGlite's cost.
   */
  pgliteTemplate?: Blob;
  poolSize?: number;
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

// `date` columns stay 'YYYY-MM-DD' strings: a run_date must never pass through a UTC Date.
const DATE_OID = 1082;
const INT8_OID = 20;
pg.types.setTypeParser(DATE_OID, (value) => value);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options);
  return openPglite(options.pgliteDir ?? 'memory://', options.pgliteTemplate);
}

async function openPglite(dir: string, template: Blob | undefined): Promise<Database> {
  const memory = dir.startsWith('memory://');
  if (!memory) mkdirSync(dir, { recursive: true });
  const lock = memory ? undefined : acquireEmbeddedLock(dir);
  let client: PGlite;
  try {
    client = await PGlite.create(dir, {
      // The org search's trigram indexes (migration 0004): PostgreSQL ships pg_trgm in contrib.
      extensions: { pg_trgm },
      parsers: { [DATE_OID]: (value: string) => value, [INT8_OID]: (value: string) => Number(value) },
      ...(template ? { loadDataDir: template } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  // PostgreSQL applies `ALTER DATABASE ... SET timezone` to every new session; PGlite stores it
  // but starts in UTC. Applying it here makes a PGlite session behave like a psql session.
  await client.query(
    `select set_config('TimeZone', split_part(s, '=', 2), false)
     from pg_db_role_setting r, unnest(r.setconfig) s
     where r.setrole = 0 and s ilike 'timezone=%'
       and r.setdatabase = (select oid from pg_database where datname = current_database())`,
  );
  const db = drizzlePglite(withEventLoopTurns(client), { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    withConnection: (fn) => fn(db),
    listen: async (channel, onNotify) => {
      const unlisten = await client.listen(channel, onNotify);
      return () => unlisten();
    },
    async close() {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * pg's Client, whose connect failures are marked as such (connection-errors.ts): whatever the
 * server answers while a connection is being made (55000 "not currently accepting connections",
 * 53300, ...) means the database cannot be used now, not that a query is wrong.
 */
class MarkingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | undefined {
    if (!callback) {
      return super.connect().catch((error: unknown) => {
        throw markConnectError(error);
      });
    }
    super.connect((error: Error) => callback(markConnectError(error)));
    return undefined;
  }
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({
    Client: MarkingClient,
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
    // Which process holds a connection, in pg_stat_activity (an application_name in the URL wins).
    application_name: `sched-bot ${process.pid}`,
  });
  // A client losing its connection (server restart) must not crash the process. pg-pool listens
  // for that only while a client is idle; a checked-out client (inside a transaction, or between
  // a failed query and its release) emits an 'error' nobody hears, so each gets a listener too.
  // The query in flight still fails and its caller retries.
  const onError = (error: Error) => options.onPoolError?.(error);
  pool.on('error', onError);
  const listening = new WeakSet<object>();
  pool.on('acquire', (client) => {
    if (listening.has(client)) return;
    listening.add(client);
    client.on('error', onError);
  });
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn(drizzlePg(client, { schema }) as unknown as Db);
      } finally {
        client.release();
      }
    },
    listen: (channel, onNotify, onLost) => listenPostgres(url, options, channel, onNotify, onLost),
    close: () => pool.end(),
  };
}

async function listenPostgres(
  url: string,
  options: DatabaseOptions,
  channel: string,
  onNotify: (payload: string) => void,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  const client = new MarkingClient({
    connectionString: url,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    // Named in pg_stat_activity; keepalive notices a peer that vanished without closing.
    application_name: `sched-bot listen ${process.pid}`,
    keepAlive: true,
  });
  // onLost only for a listener that was in place: a failed connect rejects instead.
  let open = false;
  const lost = (error: Error) => {
    if (!open) return;
    open = false;
    onLost(error);
  };
  // 'error' comes first when the server ends the session (pg_terminate_backend, a restart); 'end'
  // alone when the socket just closes. Either way the listener is gone.
  client.on('error', lost);
  client.on('end', () => lost(new Error('the LISTEN connection closed')));
  client.on('notification', (message) => {
    if (open && message.channel === channel) onNotify(message.payload ?? '');
  });
  try {
    await client.connect();
    await client.query(`listen ${pg.escapeIdentifier(channel)}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  open = true;
  return async () => {
    open = false;
    await client.end().catch(() => undefined);
  };
}

/** Raw SQL through drizzle, returning plain rows on both backends. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * `queryRows` as a named prepared statement on PostgreSQL, for the worker's statements that run
 * many times a second: each connection parses it once and, once the plan cache settles on a
 * generic plan, plans it once too; parsing and planning are most of what a small statement
 * costs the server. The statement's text must be the same on every call under one name (arrays
 * as single parameters, no optional fragments). PGlite runs it as an ordinary query. Rows come
 * through node-postgres's own type parsers: timestamps as Date, not as drizzle's strings.
 */
export async function queryPrepared<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const client = (db as unknown as { $client?: unknown }).$client;
  if (!(client instanceof pg.Pool || client instanceof pg.Client)) return queryRows<T>(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  const result = await (client as pg.Pool).query({ name, text, values: params });
  return result.rows as T[];
}

export async function queryOne<T>(db: Db, query: SQL): Promise<T | undefined> {
  const rows = await queryRows<T>(db, query);
  return rows[0];
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
