// Ad-hoc: how long 0015_queue_partitions takes on a history built by the migrations before it.
// Usage: npx tsx bench/time-upgrade.ts NIGHTS ORGS
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { loadConfig } from '../src/config.ts';
import { openDatabase, queryOne } from '../src/db/client.ts';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../src/db/migrate.ts';
import { ensureProviders } from '../src/providers/provider-settings.ts';
import { ADMIN_URL, adminQuery, benchEnv, daysBefore, PROMPTS_PER_ORG, seedUnits } from './databases.ts';
import { writeNight } from './history.ts';

const nights = Number(process.argv[2] ?? 30);
const orgs = Number(process.argv[3] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'sched-old-'));
cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
const journalPath = join(dir, 'meta', '_journal.json');
const journal = JSON.parse(readFileSync(journalPath, 'utf8'));
journal.entries = journal.entries.filter((e: { idx: number }) => e.idx < 11);
writeFileSync(journalPath, JSON.stringify(journal));
rmSync(join(dir, '0015_queue_partitions.sql'));
const name = `sched_upgrade_time_${process.pid}`;
await adminQuery(`create database ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const database = await openDatabase({ url: url.toString(), poolSize: 4, statementTimeoutMs: 3_600_000 });
try {
  // biome-ignore lint/suspicious/noExplicitAny: drizzle types each driver's migrator separately.
  await database.withConnection((db) => migrateNodePg(db as any, { migrationsFolder: dir }));
  const config = loadConfig(benchEnv());
  await ensureProviders({ db: database.db, config });
  // writeNight makes partitions first; before the migration there are none to make.
  await database.db.execute(
    sql`create function queue_ensure_partition(text, date) returns boolean language sql as 'select false'`,
  );
  const { prompts } = await seedUnits(database.db, orgs * PROMPTS_PER_ORG * 4);
  const bench = { kind: 'postgres' as const, database, db: database.db, config } as never;
  for (let n = nights; n >= 1; n--) await writeNight(bench, daysBefore(config, n));
  await database.db.execute(sql`drop function queue_ensure_partition(text, date)`);
  await database.db.execute(sql`vacuum analyze`);
  const size = await queryOne<{ s: string }>(
    database.db,
    sql`select pg_size_pretty(pg_database_size(current_database())) as s`,
  );
  const started = performance.now();
  await migrateDatabase(database);
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      nights,
      unitsPerNight: prompts * 4,
      rows: nights * prompts * 4 * 2,
      before: size?.s,
      ms: Math.round(ms),
    }),
  );
} finally {
  await database.close();
  await adminQuery(`drop database if exists ${name} with (force)`);
  rmSync(dir, { recursive: true, force: true });
}
