import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryOne, queryRows } from '../../src/db/client.ts';
import { demoOrganizations } from '../../src/db/seed-demo.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { endNightWithFailures } from '../support/scheduler-deps.ts';

/**
 * Scoped reruns through the real CLI: `sched rerun <org> --failed --provider P` and
 * `sched postcheck --repair --provider P` enqueue only that scope, and the scope flags that make
 * no sense are usage errors (exit 2) before anything is written.
 */

const orgs = demoOrganizations(6);
const growth = orgs[1] as (typeof orgs)[0];

describe.each(backends())('scoped reruns from the CLI on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: (() => Promise<void>) | undefined;
  // Yesterday's business day: never the future, and within BACKFILL_DAYS whatever the machine's date.
  const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);

  /** The database between two `sched` calls (a PGlite directory has one user at a time). */
  async function withDb<T>(use: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>) {
    const check = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      return await use(check.db);
    } finally {
      await check.close();
    }
  }

  const pendingBySource = (source: string) =>
    withDb((db) =>
      queryRows<{ org_id: string; provider: string; n: number }>(
        db,
        sql`select t.org_id, t.provider, count(*)::int as n
            from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
            where j.source = ${source} and t.status = 'pending'
            group by t.org_id, t.provider order by t.org_id, t.provider`,
      ),
    );

  // The night ran; every gemini and perplexity try failed, and one gemini unit of the growth org
  // is missing without having failed (its task is gone), so "failed" and "missing" differ.
  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'ops' }));
    expect((await sched(['seed', '--demo', '--orgs', '6', '--prompts-per-org', '3'], env)).code).toBe(0);
    expect((await sched(['trigger', '--date', date], env)).code).toBe(0);
    await withDb(async (db) => {
      const at = new Date(`${date}T09:00:00Z`);
      await endNightWithFailures(db, date, at, 'perplexity', 'rate_limited');
      await db.execute(
        sql`update batch_tasks set status = 'failed', error_class = 'server'
            where run_date = ${date}::date and provider = 'gemini'`,
      );
      await db.execute(
        sql`delete from prompt_provider_responses where run_date = ${date}::date and provider = 'gemini'`,
      );
      await db.execute(
        sql`delete from batch_tasks where id = (
              select id from batch_tasks
              where run_date = ${date}::date and org_id = ${growth.id}::uuid and provider = 'gemini'
              order by id limit 1)`,
      );
    });
  }, 180_000);
  afterAll(() => close?.());

  it("rerun --failed --provider gemini enqueues only that org's failed gemini units", async () => {
    const failedGemini = await withDb(async (db) =>
      queryOne<{ n: number }>(
        db,
        sql`select count(*)::int as n from batch_tasks
            where run_date = ${date}::date and org_id = ${growth.id}::uuid and provider = 'gemini' and status = 'failed'`,
      ),
    );
    const n = failedGemini?.n ?? 0;
    expect(n).toBeGreaterThan(0);
    const result = await sched(
      ['rerun', growth.slug, '--failed', '--provider', 'gemini', '--date', date],
      env,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      new RegExp(
        `^Rerun of ${growth.name} \\(${growth.slug}\\) for ${date}, failed units only, gemini only: ` +
          `enqueued ${n} tasks for 1 org \\(gemini ${n}\\), estimated cost ≈ \\S+\\.\\n$`,
      ),
    );
    // Neither the org's perplexity failures nor its gemini unit that never failed.
    expect(await pendingBySource('rerun')).toEqual([{ org_id: growth.id, provider: 'gemini', n }]);

    // Once queued, the same scope has nothing left to add, and says why.
    const again = await sched(
      ['rerun', growth.slug, '--failed', '--provider', 'gemini', '--date', date],
      env,
    );
    expect(again.stdout).toMatch(
      /failed units only, gemini only: nothing to enqueue: no unit ended in a final failure/,
    );
  }, 180_000);

  it('postcheck --repair --provider perplexity enqueues only the missing perplexity units', async () => {
    const missing = await withDb(async (db) =>
      queryOne<{ n: number }>(
        db,
        sql`select count(*)::int as n from batch_tasks t
            where run_date = ${date}::date and provider = 'perplexity' and status = 'failed'`,
      ),
    );
    const result = await sched(['postcheck', '--repair', '--provider', 'perplexity', '--date', date], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `Repair \\(missing units, perplexity only\\): enqueued ${missing?.n} tasks for \\d+ orgs \\(perplexity ${missing?.n}\\), estimated cost`,
      ),
    );
    const repaired = await pendingBySource('repair');
    expect(repaired.every((row) => row.provider === 'perplexity')).toBe(true);
    expect(repaired.reduce((sum, row) => sum + row.n, 0)).toBe(missing?.n);

    const json = JSON.parse(
      (
        await sched(
          ['postcheck', '--repair', '--failed', '--provider', 'perplexity', '--date', date, '--json'],
          env,
        )
      ).stdout,
    );
    expect(json.repair).toMatchObject({ tasks: 0, provider: 'perplexity', scope: 'failed' });
  }, 180_000);

  it.each([
    [['rerun', growth.slug, '--failed', '--all'], /--failed and --all exclude each other/],
    [['rerun', growth.slug, '--provider', 'mistral'], /unknown provider "mistral": one of openai, anthropic/],
    [['rerun', growth.slug, '--provider'], /--provider/],
    [['postcheck', '--failed'], /--failed, --all, --provider and --confirm go with --repair/],
    [['postcheck', '--provider', 'gemini'], /go with --repair/],
    [['postcheck', '--repair', '--all', '--failed'], /exclude each other/],
    [['postcheck', '--repair', '--provider', 'mistral'], /unknown provider "mistral"/],
  ])(
    '%j is a usage error, and nothing is written',
    async (argv, message) => {
      const runs = () =>
        withDb(
          async (db) =>
            (await queryOne<{ n: number }>(db, sql`select count(*)::int as n from scheduler_runs`))?.n,
        );
      const before = await runs();
      const result = await sched([...argv, '--date', date], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/usage: sched (rerun|postcheck) .*--failed \| --all/);
      expect(await runs()).toBe(before);
    },
    60_000,
  );
});
