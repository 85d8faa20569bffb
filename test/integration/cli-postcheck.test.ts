import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryOne } from '../../src/db/client.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/** `sched seed --demo && sched postcheck --json` through the real CLI, on each backend. */
describe.each(backends())('sched CLI on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal' }));
  });
  afterAll(async () => {
    await close();
  });

  it('seeds twice without duplicating anything', async () => {
    const first = await sched(['seed', '--demo'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/inserted now: 28 organizations/);
    const second = await sched(['seed', '--demo'], env);
    expect(second.stdout).toMatch(/inserted now: 0 organizations, 0 prompts/);
  });

  it('postcheck --json prints the seed-shaped JSON whose counts match direct SQL', async () => {
    const result = await sched(['postcheck', '--json', '--date', '2026-11-27'], env);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['promptCoverage', 'orgCoverage', 'summary']));
    expect(Object.keys(json.promptCoverage)).toEqual(
      expect.arrayContaining([
        'expectedActivePrompts',
        'promptsRunToday',
        'coveragePercent',
        'missingPromptsCount',
        'missingPromptsByOrg',
      ]),
    );
    expect(Object.keys(json.orgCoverage)).toEqual(expect.arrayContaining(['expected', 'found', 'missing']));
    expect(Object.keys(json.summary)).toEqual(
      expect.arrayContaining(['overallHealth', 'promptCoveragePercent', 'orgCoveragePercent']),
    );

    // The same count, straight from SQL: in-quota active prompts of eligible orgs (every plan has
    // a provider when all are enabled), written here without the production query.
    const check = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      const row = await queryOne<{ prompts: number; orgs: number }>(
        check.db,
        sql`with ranked as (
              select p.org_id, o.plan, row_number() over (partition by p.org_id order by p.created_at, p.id) as n
              from prompts p join organizations o on o.id = p.org_id
              where p.active and o.active and o.subscription_status in ('active', 'trialing'))
            select count(*)::int as prompts, count(distinct org_id)::int as orgs from ranked
            where plan = 'enterprise' or n <= case plan when 'starter' then 25 when 'growth' then 100 else 300 end`,
      );
      expect(json.promptCoverage.expectedActivePrompts).toBe(row?.prompts);
      expect(json.orgCoverage.expected).toBe(row?.orgs);
      expect(json.promptCoverage.missingPromptsCount).toBe(row?.prompts);
      expect(json.summary.overallHealth).toBe('NEEDS_ATTENTION');
    } finally {
      await check.close();
    }
  });

  it('status prints a readable summary', async () => {
    const result = await sched(['status', '--date', '2026-11-27'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Run date 2026-11-27 \(America\/New_York\): NEEDS_ATTENTION/);
    expect(result.stdout).toMatch(/prompts covered\s+0% \(0\/\d+\)/);
    expect(result.stdout).toMatch(/Over quota/);
  });
});

describe('sched CLI arguments', () => {
  it('rejects unknown commands, unknown flags and impossible dates with exit code 2', async () => {
    const env = { PGLITE_DIR: 'memory://' };
    expect((await sched(['frobnicate'], env)).code).toBe(2);
    expect((await sched([], env)).code).toBe(2);
    const badFlag = await sched(['status', '--verbose'], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/usage: sched status/);
    const badDate = await sched(['postcheck', '--date', '2026-02-30'], env);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/real calendar date/);
    expect((await sched(['seed'], env)).code).toBe(2);
  });

  it('stops on a bad configuration value with a message naming the variable', async () => {
    const result = await sched(['status'], { PGLITE_DIR: 'memory://', SCHED_TIMEZONE: 'Mars/Olympus' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/SCHED_TIMEZONE/);
  });
});
