import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Config, loadConfig } from '../src/config.ts';
import { type Deps, systemClock } from '../src/context.ts';
import { type Database, type Db, openDatabase, queryRows } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { silentLogger } from '../src/logger.ts';
import { ensureProviders } from '../src/providers/provider-settings.ts';
import { PROVIDER_NAMES } from '../src/providers/types.ts';
import { addDays, runDateOf } from '../src/time/business-day.ts';

/**
 * Databases for the bench: each scenario gets a PostgreSQL database of its own on the local
 * server (created and dropped here, never the tests' `test` database) or an in-memory PGlite,
 * migrated by the product's own migrations, with its orgs and prompts written set-based.
 */

/** The server's maintenance database: the bench creates and drops its own databases through it. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL || 'postgres://root@127.0.0.1:5432/postgres';

/**
 * Limits out of the way unless a scenario sets them: the bench measures the queue and the
 * database path, not a provider's quota. BACKFILL_DAYS lets each round trigger a night of its own.
 */
export function benchEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SIMULATED_PROFILE: 'ideal',
    LOG_LEVEL: 'silent',
    BACKFILL_DAYS: '365',
    ...Object.fromEntries(
      PROVIDER_NAMES.flatMap((p) => [
        [`${p.toUpperCase()}_RPM`, '1000000'],
        [`${p.toUpperCase()}_MAX_CONCURRENCY`, '1000'],
      ]),
    ),
    ...extra,
  };
}

export interface BenchDb {
  kind: 'postgres' | 'pglite';
  /** PostgreSQL only: the URL child processes connect with. */
  url?: string;
  database: Database;
  db: Db;
  config: Config;
  deps: Deps;
  /** Closes the connections and drops the PostgreSQL database. */
  close(): Promise<void>;
}

async function prepare(database: Database, kind: BenchDb['kind'], env: Record<string, string>, url?: string) {
  const config = loadConfig(env);
  await migrateDatabase(database);
  await ensureProviders({ db: database.db, config });
  const deps: Deps = { db: database.db, config, logger: silentLogger(), clock: systemClock };
  return { kind, url, database, db: database.db, config, deps };
}

/** A fresh PostgreSQL database named after the scenario, migrated, with provider rows from `env`. */
export async function openPostgresBench(label: string, env = benchEnv()): Promise<BenchDb> {
  const name = `sched_bench_${label.replace(/\W/g, '_')}_${process.pid}_${randomBytes(2).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  // A long statement timeout: a slow step is a figure, not a crash.
  const database = await openDatabase({ url: url.toString(), poolSize: 20, statementTimeoutMs: 3_600_000 });
  const drop = async () => {
    await database.close().catch(() => undefined);
    await adminQuery(`drop database if exists ${name} with (force)`);
  };
  try {
    return { ...(await prepare(database, 'postgres', env, url.toString())), close: drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

/** A PGlite database (in memory unless `dir` is given), migrated, with provider rows from `env`. */
export async function openPgliteBench(env = benchEnv(), dir = 'memory://'): Promise<BenchDb> {
  const database = await openDatabase({ pgliteDir: dir });
  try {
    return { ...(await prepare(database, 'pglite', env)), close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export const PROMPTS_PER_ORG = 100;

/**
 * Orgs on the `pro` plan (every provider, a quota of 300 prompts) with 100 active prompts each,
 * so a night expects exactly `units` units: units / 4 prompts times the four providers. The
 * prompts date from before any night the bench writes, ids are stable per (org, prompt).
 */
export async function seedUnits(db: Db, units: number): Promise<{ orgs: number; prompts: number }> {
  const prompts = Math.ceil(units / PROVIDER_NAMES.length);
  const orgs = Math.ceil(prompts / PROMPTS_PER_ORG);
  await db.execute(sql`
    insert into organizations (id, name, slug, plan, subscription_status, active, created_at)
    select md5('bench-org-' || i)::uuid, 'Bench Org ' || i, 'bench-org-' || i, 'pro', 'active', true,
           now() - interval '400 days'
    from generate_series(1, ${orgs}::int) i`);
  await db.execute(sql`
    insert into prompts (id, org_id, text, active, created_at)
    select md5('bench-prompt-' || i)::uuid,
           md5('bench-org-' || ((i - 1) / ${PROMPTS_PER_ORG}::int + 1))::uuid,
           'Which tools would you recommend for job ' || i || '?', true,
           now() - interval '400 days' + i * interval '1 millisecond'
    from generate_series(1, ${prompts}::int) i`);
  return { orgs, prompts };
}

/**
 * `target`, a copy of `source` with the same columns, defaults, constraints, indexes and foreign
 * keys (those pointing at a table in `renamed` point at its copy instead): the reference writes
 * into a table exactly as costly to write as the product's, whatever the migrations made of it.
 */
export async function cloneTable(
  db: Db,
  source: string,
  target: string,
  renamed: Record<string, string> = {},
): Promise<void> {
  await db.execute(sql.raw(`create table ${target} (like ${source} including all)`));
  const fks = await queryRows<{ name: string; def: string }>(
    db,
    sql`select conname as name, pg_get_constraintdef(oid) as def
        from pg_constraint where conrelid = ${source}::regclass and contype = 'f' order by conname`,
  );
  for (const fk of fks) {
    let def = fk.def;
    for (const [from, to] of Object.entries(renamed))
      def = def.replace(`REFERENCES ${from}(`, `REFERENCES ${to}(`);
    await db.execute(sql.raw(`alter table ${target} add constraint ${target}_${fk.name} ${def}`));
  }
}

/** The business day the product calls today, and the n-th day before it. */
export const today = (config: Config) => runDateOf(new Date(), config.timezone);
export const daysBefore = (config: Config, n: number) => addDays(today(config), -n);
