import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/** The night's CLI (trigger, reconcile, rerun, manual-run, postcheck --repair, status) end to end. */
describe.each(backends())('sched night commands on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: (() => Promise<void>) | undefined;
  // Yesterday's business day: never the future, and within BACKFILL_DAYS whatever the machine's date.
  const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'ops' }));
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
  }, 180_000);
  afterAll(() => close?.());

  it('trigger enqueues the night once; the second says who already did it and creates nothing', async () => {
    const first = await sched(['trigger', '--date', date], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(
      new RegExp(`^Triggered ${date}: enqueued 600 tasks for 18 orgs \\(anthropic 120, `),
    );
    const second = await sched(['trigger', '--date', date, '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      status: 'already_triggered',
      runDate: date,
      triggeredBy: 'cli:ops',
      runStatus: 'completed',
    });
    const text = await sched(['trigger', '--date', date], env);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${date} was already triggered at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\S+ by cli:ops \\(completed\\); nothing created`,
      ),
    );
  }, 180_000);

  it('status shows live progress while tasks are queued', async () => {
    const status = await sched(['status', '--date', date], env);
    expect(status.stdout).toMatch(
      /Progress: 0\/600 done \(0%\), 0 running, 600 pending; 0\.0\/min, not started yet/,
    );
    expect(status.stdout).toMatch(/orgs with work left:/);
    const json = JSON.parse((await sched(['status', '--date', date, '--json'], env)).stdout);
    expect(json.progress).toMatchObject({ total: 600, live: 600, done: 0 });
  }, 180_000);

  it('status prices the night at the configured prices, as the Slack status does', async () => {
    const json = JSON.parse(
      (
        await sched(['status', '--date', date, '--json'], {
          ...env,
          OPENAI_PRICE_IN: '7.5',
          OPENAI_PRICE_OUT: '30',
        })
      ).stdout,
    );
    const openai = json.cost.providers.find((p: { provider: string }) => p.provider === 'openai');
    expect(openai.price).toEqual({ in: 7.5, out: 30 });
  }, 180_000);

  it('rerun: exit 2 with suggestions for no org, an unknown, an ambiguous or a misspelt one', async () => {
    const missing = await sched(['rerun'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/usage: sched rerun <org/);
    const unknown = await sched(['rerun', 'Pinoeer', 'Capitol', 'Group', '--date', date], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /No organization is named exactly "Pinoeer Capitol Group"\. Did you mean: Pioneer Capital \(pioneer-capital\)/,
    );
    const ambiguous = await sched(['rerun', 'acme', '--date', date], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/Did you mean: Acme Analytics \(acme-analytics\), Acme Logistics/);
    // A typo is a guess: nothing runs on it.
    const typo = await sched(['rerun', 'Birch', 'Labz', '--date', date], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Did you mean: Birch Labs \(birch-labs\)/);
  }, 180_000);

  it('rerun, manual-run and reconcile report what they did; nothing is enqueued twice', async () => {
    const rerun = await sched(['rerun', 'Birch', 'Labs', '--all', '--date', date], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toMatch(
      new RegExp(`Rerun of Birch Labs \\(birch-labs\\) for ${date}, every expected unit: nothing to enqueue`),
    );
    const pastDue = await sched(['rerun', 'ember-foods', '--date', date, '--json'], env);
    expect(JSON.parse(pastDue.stdout)).toMatchObject({
      tasks: 0,
      notEligible: expect.stringMatching(/past_due/),
    });
    const manual = await sched(['manual-run', '--date', date], env);
    expect(manual.stdout).toBe(`Manual run for ${date}: enqueued no task.\n`);
    const reconcile = await sched(['reconcile', '--json'], env);
    expect(JSON.parse(reconcile.stdout)).toMatchObject({ requeued: 0, failed: 0, jobsCompleted: 0 });
    expect((await sched(['reconcile'], env)).stdout).toBe('Reconciled: nothing to change.\n');
  }, 180_000);

  it('postcheck --repair says what it enqueued', async () => {
    const result = await sched(['postcheck', '--date', date, '--repair'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Repair \(missing units\): nothing to enqueue: every unit already succeeded or is queued\./,
    );
    // A night that never ran is not "repaired" into a whole night: backfill it with trigger --date.
    const untriggered = addDays(date, -1);
    const other = await sched(['postcheck', '--date', untriggered, '--repair', '--json'], env);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      new RegExp(`No trigger ran for ${untriggered}.*sched trigger --date ${untriggered}`),
    );
  }, 180_000);

  // Last: it finishes units of the night the tests above expect all live.
  it('status shows the projected finish line while the night runs', async () => {
    const before = await sched(['status', '--date', date], env);
    // Nothing finished yet: no pace, so no projected time.
    expect(before.stdout).not.toMatch(/at the current pace/);

    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      // Five units of each provider finished two minutes ago: a pace for each.
      await database.db.execute(sql`
        update batch_tasks set status = 'completed', attempts = 1, completed_at = now() - interval '2 minutes'
        where id in (select id from (
          select id, row_number() over (partition by provider order by id) as n from batch_tasks) t
          where t.n <= 5)`);
    } finally {
      await database.close();
    }
    const status = await sched(['status', '--date', date], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^Finish: at the current pace: \d\d:\d\d \S+; (OpenAI|Anthropic|Gemini|Perplexity) (at [\d,]+ units\/min|at its [\d,]+ rpm limit) sets the pace$/m,
    );
    const json = JSON.parse((await sched(['status', '--date', date, '--json'], env)).stdout);
    expect(json.projection).toMatchObject({ live: 600 - 20, postcheckAt: null });
  }, 180_000);
});
