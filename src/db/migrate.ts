import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Db, queryOne } from './client.ts';

export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

// Any fixed number: several instances starting at once apply migrations one at a time.
const MIGRATION_LOCK_KEY = 7_301_946_331;

export interface MigrateOptions {
  /**
   * The business-day zone (SCHED_TIMEZONE). Set: the database's default TimeZone becomes it,
   * so CURRENT_DATE in an operator's psql session (the runbook's saved queries) is the business
   * day, not the server's UTC date. Read-only commands leave it out: they change nothing.
   */
  timezone?: string | undefined;
}

export interface MigrateResult {
  /** Why the database's default TimeZone could not be set (for example: not its owner). */
  timezoneError?: string;
}

export async function migrateDatabase(
  database: Database,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  if (database.kind === 'pglite') {
    // biome-ignore lint/suspicious/noExplicitAny: drizzle types each driver's migrator separately.
    await migratePglite(database.db as any, { migrationsFolder: MIGRATIONS_FOLDER });
    return options.timezone ? setDatabaseTimezone(database.db, options.timezone) : {};
  }
  return database.withConnection(async (db) => {
    await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: drizzle types each driver's migrator separately.
      await migrateNodePg(db as any, { migrationsFolder: MIGRATIONS_FOLDER });
      return options.timezone ? await setDatabaseTimezone(db, options.timezone) : {};
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  });
}

/**
 * ALTER DATABASE ... SET timezone, only when it differs (it takes effect in new sessions), and
 * SET on this session too: PGlite's one session started before the ALTER. Our own SQL never
 * depends on the session zone (run_date is always passed in); this is for people at psql.
 */
async function setDatabaseTimezone(db: Db, timezone: string): Promise<MigrateResult> {
  try {
    const row = await queryOne<{ current: string | null; statement: string }>(
      db,
      sql`select (select s from pg_db_role_setting r, unnest(r.setconfig) s
                  where r.setrole = 0 and s ilike 'timezone=%'
                    and r.setdatabase = (select oid from pg_database where datname = current_database())) as current,
                 format('alter database %I set timezone = %L', current_database(), ${timezone}::text) as statement`,
    );
    if (row && row.current?.toLowerCase() !== `timezone=${timezone}`.toLowerCase()) {
      await db.execute(sql.raw(row.statement));
    }
    await db.execute(sql`select set_config('TimeZone', ${timezone}, false)`);
    return {};
  } catch (error) {
    return { timezoneError: error instanceof Error ? error.message : String(error) };
  }
}
