import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.ts';
import { postgresUrl } from './db.ts';

/** Upgrade tests: a database built by the migrations before one, then migrated to today's. */

/** A copy of drizzle/ holding the migrations before `first` only. */
export function migrationsBefore(first: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sched-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((e) => e.tag === first);
  if (index < 0) throw new Error(`no migration ${first}`);
  for (const entry of journal.entries.slice(index)) rmSync(join(dir, `${entry.tag}.sql`));
  journal.entries = journal.entries.slice(0, index);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

export interface Backend {
  name: string;
  open(): Promise<Database>;
  migrateOld(database: Database, folder: string): Promise<void>;
}

/** Run after the file's tests, in order: a test adds what it made (databases, folders). */
export const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const pgliteBackend: Backend = {
  name: 'pglite',
  open: () => openDatabase({ pgliteDir: 'memory://' }),
  async migrateOld(database, folder) {
    // biome-ignore lint/suspicious/noExplicitAny: drizzle types each driver's migrator separately.
    await migratePglite(database.db as any, { migrationsFolder: folder });
  },
};

function postgresBackend(adminUrl: string): Backend {
  return {
    name: 'postgres',
    async open() {
      const name = `sched_upgrade_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const database = await openDatabase({ url: url.toString(), poolSize: 4 });
      cleanups.push(async () => {
        const drop = new pg.Client({ connectionString: adminUrl });
        await drop.connect();
        await drop.query(`drop database if exists ${name} with (force)`);
        await drop.end();
      });
      return database;
    },
    async migrateOld(database, folder) {
      // biome-ignore lint/suspicious/noExplicitAny: drizzle types each driver's migrator separately.
      await database.withConnection((db) => migrateNodePg(db as any, { migrationsFolder: folder }));
    },
  };
}

export const upgradeBackends: Backend[] = [
  pgliteBackend,
  ...(postgresUrl ? [postgresBackend(postgresUrl)] : []),
];

/**
 * A database of `backend` built by the migrations before `first`, closed (and its migrations
 * folder removed) after the file's tests.
 */
export async function openMigratedBefore(backend: Backend, first: string): Promise<Database> {
  const database = await backend.open();
  cleanups.unshift(() => database.close());
  const old = migrationsBefore(first);
  cleanups.push(async () => rmSync(old, { recursive: true, force: true }));
  await backend.migrateOld(database, old);
  return database;
}
