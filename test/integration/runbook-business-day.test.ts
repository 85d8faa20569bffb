import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Database, openDatabase, queryOne, queryRows } from '../../src/db/client.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/**
 * Issue 9, seen: the runbook's saved SQL disagreed with the bot, because CURRENT_DATE was the
 * server's UTC date and not the business day. Once the bot has started (here: `sched migrate`),
 * a NEW session, as an operator's psql opens, must have the business-day zone, and the
 * runbook's figures must equal the bot's for today's run_date.
 *
 * The server clock cannot be moved, so the data make the two readings differ at any hour:
 * answers just after the business day began (05:01 UTC in winter), answers now, and answers of
 * yesterday's run_date one minute before the business day began. In a UTC session CURRENT_DATE
 * either counts yesterday's minute (when the UTC and New York dates agree) or misses today's
 * early answers (in the evening hours when the UTC date is already tomorrow).
 */
const ZONE = 'America/New_York';
const runbook = readFileSync(new URL('../fixtures/scheduler-monitoring-guide.md', import.meta.url), 'utf8');
const queries = [...runbook.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] as string)
    .split(/;\s*\n/)
    .map((q) => q.replace(/--[^\n]*\n/g, '').trim())
    .filter(Boolean),
);
const [coverageQuery, missingQuery] = queries as [string, string];

const openFresh = (env: Record<string, string | undefined>) =>
  openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });

describe.each(backends())('runbook SQL means the business day on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let session: Database | undefined;
  let today: string;
  const db = () => {
    if (!session) throw new Error('no session');
    return session.db;
  };

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', SCHED_TIMEZONE: ZONE }));
    expect((await sched(['migrate'], env)).code).toBe(0);
    const seeding = await openFresh(env);
    try {
      await seedDemo(seeding.db, { orgs: 6, promptsPerOrg: 3 });
    } finally {
      await seeding.close();
    }
    session = await openFresh(env);
    const now = await queryOne<{ now: Date }>(db(), sql`select now() as now`);
    today = runDateOf(new Date(now?.now ?? Number.NaN), ZONE);
    const dayStart = DateTime.fromISO(today, { zone: ZONE }).startOf('day');
    // Prompts of the orgs whose every active prompt is expected (all providers, within quota).
    await db().execute(sql`
      with eligible as (
        select p.id, p.org_id, row_number() over (order by p.id) % 3 as grp
        from prompts p join organizations o on o.id = p.org_id
        where p.active and o.active and o.subscription_status in ('active', 'trialing')
          and o.plan in ('growth', 'pro', 'enterprise'))
      insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, run_at, status)
      select org_id, id, 'openai', 'm',
             case when grp = 2 then ${addDays(today, -1)}::date else ${today}::date end,
             case grp when 0 then now()
                      when 1 then ${dayStart.plus({ minutes: 1 }).toISO()}::timestamptz
                      else ${dayStart.minus({ minutes: 1 }).toISO()}::timestamptz end,
             'success'
      from eligible`);
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await close();
  });

  it("a new session's TimeZone is the business-day zone, so CURRENT_DATE is today's run_date", async () => {
    const row = await queryOne<{ zone: string; today: string }>(
      db(),
      sql`select current_setting('TimeZone') as zone, current_date::text as today`,
    );
    expect(row).toEqual({ zone: ZONE, today });
  });

  it("the runbook's coverage and missing prompts equal the bot's for today's run_date", async () => {
    const bot = await measureCoverage(
      {
        db: db(),
        config: loadConfig({ SCHED_TIMEZONE: ZONE }),
        clock: () => new Date(),
      },
      { runDate: today },
    );
    expect(bot.promptCoverage.promptsRunToday).toBeGreaterThan(0);
    const [coverage] = await queryRows<{ prompts_run_today: string }>(db(), sql.raw(coverageQuery));
    expect(Number(coverage?.prompts_run_today)).toBe(bot.promptCoverage.promptsRunToday);

    // The runbook lists every active prompt; the bot only expected ones: compare on the bot's orgs.
    const botOrgs = bot.orgs.filter((o) => o.expectedPrompts > 0 && o.overQuotaPrompts === 0);
    const names = new Set(botOrgs.map((o) => o.name));
    const runbookMissing = (await queryRows<{ org_name: string; id: string }>(db(), sql.raw(missingQuery)))
      .filter((r) => names.has(r.org_name))
      .map((r) => r.id)
      .sort();
    const botMissing = botOrgs
      .flatMap((o) => bot.promptCoverage.missingPromptsByOrg[o.orgId] ?? [])
      .map((p) => p.id)
      .sort();
    expect(botMissing.length).toBeGreaterThan(0);
    expect(runbookMissing).toEqual(botMissing);
  });

  it('a read-only command from a shell with another zone leaves the database zone alone', async () => {
    await session?.close(); // an embedded database has one user at a time
    session = undefined;
    expect((await sched(['status'], { ...env, SCHED_TIMEZONE: 'Asia/Tokyo' })).code).toBe(0);
    const other = await openFresh(env);
    try {
      const row = await queryOne<{ zone: string }>(other.db, sql`select current_setting('TimeZone') as zone`);
      expect(row?.zone).toBe(ZONE);
    } finally {
      await other.close();
    }
  });
});
