import { sql } from 'drizzle-orm';
import type { Logger } from '../logger.ts';
import { type Database, queryOne } from './client.ts';
import { type SeedResult, seedDemo } from './seed-demo.ts';

/**
 * Demo data is loaded only into an embedded database that has no organization yet: a new user's
 * `npm start` has something to show, and a real database (DATABASE_URL) is never touched.
 */
export async function seedFreshEmbedded(
  database: Database,
  logger: Logger,
  options: { console: boolean },
): Promise<SeedResult | undefined> {
  if (database.kind !== 'pglite') return undefined;
  const row = await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from organizations`);
  if (row?.n !== 0) return undefined;
  const seeded = await seedDemo(database.db);
  if (options.console) logger.info({ ...seeded }, 'first run: demo data seeded');
  else
    logger.warn(
      { ...seeded },
      'the embedded database was empty: demo organizations loaded (set DATABASE_URL for real data)',
    );
  return seeded;
}
