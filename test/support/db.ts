import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { closedDatabase, opened } from './file-databases.ts';
import { installedNow, pgliteTemplate, postgresTemplate } from './template.ts';

/**
 * Every database test runs on embedded PGlite, and also on PostgreSQL when TEST_DATABASE_URL
 * is set. Each call to `create()` gives a fresh, migrated database of its own, copied from a
 * migrated template (test/support/template.ts): a new PGlite in memory, or a new PostgreSQL
 * database, dropped after its test file unless one of its tests failed (test/support/file-databases.ts).
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
    await installedNow(database.db);
    const test: TestDatabase = {
      ...database,
      url: undefined,
      async close() {
        closedDatabase(test);
        await database.close();
      },
    };
    opened(test);
    return test;
  },
};

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
      await installedNow(database.db);
      const test: TestDatabase = {
        ...database,
        url: url.toString(),
        async close() {
          closedDatabase(test, { adminUrl, name });
          await database.close();
        },
      };
      opened(test);
      return test;
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
    sql`truncate table prompt_provider_responses, batch_tasks, batch_jobs, pruned_nights, scheduler_runs, slack_reports, late_alerts, night_warnings, snoozes,
        prompts, organizations, providers, provider_changes, workers restart identity cascade`,
  );
}
