import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/**
 * Issue 9, seen: an operator whose shell lacked SIMULATED_PROFILE and the API keys ran
 * `sched status` mid-night; every provider became disabled, the workers stopped claiming and
 * the postcheck said HEALTHY 100% (0/0). Read-only commands must leave the database exactly as
 * they found it, whatever their caller's environment says.
 */
const READ_ONLY: string[][] = [
  ['status'],
  ['history', '--json'],
  ['providers', 'list'],
  ['providers', 'check', '--json'],
];

/** Every row of every table in public, plus the database's own settings (its default TimeZone). */
async function dumpDatabase(env: Record<string, string | undefined>): Promise<Record<string, unknown[]>> {
  const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
  try {
    const tables = await queryRows<{ name: string }>(
      database.db,
      sql`select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    );
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      dump[name] = await queryRows(
        database.db,
        sql`select to_jsonb(t)::text as row from ${sql.identifier(name)} t order by 1`,
      );
    }
    dump['(database settings)'] = await queryRows(
      database.db,
      sql`select s.setconfig from pg_db_role_setting s
          join pg_database d on d.oid = s.setdatabase where d.datname = current_database()`,
    );
    return dump;
  } finally {
    await database.close();
  }
}

describe.each(backends())('read-only sched commands on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  // Yesterday's business day: a backfill within BACKFILL_DAYS, whatever day the suite runs.
  const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'ops' }));
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
    expect((await sched(['trigger', '--date', date], env)).code).toBe(0);
    expect((await sched(['postcheck', '--date', date], env)).code).toBe(0);
  }, 180_000);
  afterAll(() => close());

  it('change nothing, run from a shell with no profile, no keys and other limits and zone', async () => {
    const before = await dumpDatabase(env);
    expect(before.providers).toHaveLength(4);
    const stranger = {
      DATABASE_URL: env.DATABASE_URL,
      PGLITE_DIR: env.PGLITE_DIR,
      USER: 'night-owl',
      OPENAI_RPM: '7',
      ANTHROPIC_MAX_CONCURRENCY: '1',
      GEMINI_MODEL: 'gemini-other',
      SCHED_TIMEZONE: 'Asia/Tokyo',
    };
    for (const argv of READ_ONLY) {
      const run = await sched(argv, stranger);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBeLessThanOrEqual(1);
      expect(await dumpDatabase(env), `sched ${argv.join(' ')} changed the database`).toEqual(before);
    }
  }, 180_000);
});
