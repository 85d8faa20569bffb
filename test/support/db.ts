import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';

/**
 * Every database test runs on embedded PGlite, and also on PostgreSQL when TEST_DATABASE_URL
 * is set. Each call to `create()` gives a fresh, migrated database of its own: a new PGlite in
 * memory, or a new PostgreSQL database that is dropped on close.
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
    const database = await openDatabase({ pgliteDir: 'memory://' });
    await migrateDatabase(database);
    return { ...database, url: undefined };
  },
};

function postgresBackend(adminUrl: string): Backend {
  return {
    name: 'postgres',
    async create() {
      const name = `sched_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const database = await openDatabase({ url: url.toString(), poolSize: 10 });
      await migrateDatabase(database);
      return {
        ...database,
        url: url.toString(),
        async close() {
          await database.close();
          const cleanup = new pg.Client({ connectionString: adminUrl });
          await cleanup.connect();
          try {
            await cleanup.query(`drop database if exists ${name} with (force)`);
          } finally {
            await cleanup.end();
          }
        },
      };
    },
  };
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
        prompts, organizations, providers, provider_changes, workers restart identity cascade`,
  );
}
