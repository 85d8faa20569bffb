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

/**
 * On a PostgreSQL database with no organization (never seeded on its own: it may be a real one),
 * the one line that says what to run for the demo. `providersReady`: every provider row is enabled
 * and as fast as the demo's stand-ins, so only the data is missing.
 */
export async function demoHintForEmptyDatabase(
  database: Database,
  params: { providersReady: boolean; demoProfile: boolean; demoRpm: number },
): Promise<string | undefined> {
  if (database.kind !== 'postgres') return undefined;
  const row = await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from organizations`);
  if (row?.n !== 0) return undefined;
  return demoHint(params);
}

export function demoHint(params: { providersReady: boolean; demoProfile: boolean; demoRpm: number }): string {
  const steps = ['npm run sched -- seed --demo'];
  if (!params.providersReady)
    steps.push(`npm run sched -- providers set all --enable --rpm ${params.demoRpm}`);
  const start = params.demoProfile ? 'npm start' : 'SIMULATED_PROFILE=demo npm start';
  return (
    `for the demo, run ${steps.map((s) => `\`${s}\``).join(' and ')}, then ` +
    `\`${start}\` (and \`repair\` if tonight's run already went by with no organizations)`
  );
}
