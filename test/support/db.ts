import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { pgliteTemplate, postgresTemplate } from './template.ts';

/**
 * Every database test runs on embedded PGlite, and also on PostgreSQL when TEST_DATABASE_URL
 * is set. Each call to `create()` gives a fresh, migrated database of its own, copied from a
 * migrated template (test/support/template.ts): a new PGlite in memory, or a new PostgreSQL
 * database. A closed PostgreSQL database is dropped when its test file ends, unless a test of
 * that file failed: then it stays for inspection and its name is logged (as pg-boss does).
 */

export interface TestDatabase extends Database {
  /** The postgres:// URL of this database (PostgreSQL only), for child processes. */
  url: string | undefined;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  create(): Promise<TestDatabase>;
}

export const postgresUrl = process.env.TEST_DATABASE_URL || undefined;

const pgliteBackend: Backend = {
  name: 'pglite',
  async create() {
    const database = await openDatabase({ pgliteDir: 'memory://', pgliteTemplate: await pgliteTemplate() });
    // Migrating the copy applies nothing; it proves the template is as migrated as production's.
    await migrateDatabase(database);
    return { ...database, url: undefined };
  },
};

/** PostgreSQL databases this test file closed: dropped at its end (test/support/setup.ts). */
const closed: { adminUrl: string; name: string }[] = [];

function postgresBackend(adminUrl: string): Backend {
  return {
    name: 'postgres',
    async create() {
      const template = await postgresTemplate(adminUrl);
      const name = `sched_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      await withAdmin(adminUrl, (admin) => admin.query(`create database ${name} template ${template}`));
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const database = await openDatabase({ url: url.toString(), poolSize: 10 });
      await migrateDatabase(database);
      return {
        ...database,
        url: url.toString(),
        async close() {
          await database.close();
          closed.push({ adminUrl, name });
        },
      };
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/**
 * Drops the PostgreSQL databases closed so far, or, after a failed test (`keep`), leaves them
 * and says where they are. Sessions a killed child process left open do not stop the drop.
 */
export async function settleClosedDatabases(keep: boolean): Promise<void> {
  const done = closed.splice(0);
  for (const { adminUrl, name } of done) {
    if (keep) {
      const url = new URL(adminUrl);
      url.password = ''; // never log a secret
      url.pathname = `/${name}`;
      console.warn(`a test of this file failed: kept its database for inspection: psql ${url.toString()}`);
      continue;
    }
    await withAdmin(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
  }
}

export function backends(): Backend[] {
  return postgresUrl ? [pgliteBackend, postgresBackend(postgresUrl)] : [pgliteBackend];
}

/** Backends that several processes can share (PostgreSQL only); empty without TEST_DATABASE_URL. */
export function sharedBackends(): Backend[] {
  return postgresUrl ? [postgresBackend(postgresUrl)] : [];
}

/** Empties every table, keeping the schema: for tests that need a clean slate within one file. */
export async function truncateAll(database: Database): Promise<void> {
  await database.db.execute(
    sql`truncate table prompt_provider_responses, batch_tasks, batch_jobs, scheduler_runs, slack_reports,
        provider_calls, prompts, organizations, providers, provider_changes, workers restart identity cascade`,
  );
}
