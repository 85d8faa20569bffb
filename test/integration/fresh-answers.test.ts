import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../src/db/client.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { cliNightTriggered, openCliDatabase, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { completeAllLive, DEMO_UNITS } from '../support/scheduler-deps.ts';

/**
 * Seen: `sched rerun <org> --all` writes a second success per unit by design, and afterwards
 * `sched audit` exited 1 with duplicate_success "report it as a bug". Fresh answers are asked for
 * and recorded on the job; the audit flags only a second success nobody asked for; coverage counts
 * a unit once; a second fresh-answers run of the night needs a confirmation naming the first.
 */

describe.each(backends())('answers that may repeat on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  const runDate = runDateOf(new Date(), 'America/New_York');
  let slug = '';

  /** Plays the workers: every live task answered, then the reconciler closes the jobs. */
  async function answerAll() {
    const database = await openCliDatabase(env);
    try {
      await completeAllLive(database.db, runDate, new Date());
    } finally {
      await database.close();
    }
    expect((await sched(['reconcile'], env)).code).toBe(0);
  }

  /** After fresh answers: no duplicate_success, and each unit counted once. */
  async function auditHoldsAndCountsOnce() {
    const audit = await sched(['audit', '--date', runDate, '--json'], env);
    expect(JSON.parse(audit.stdout).violations).toEqual([]);
    expect(audit.code).toBe(0);
    const post = JSON.parse((await sched(['postcheck', '--json'], env)).stdout);
    expect(post.units).toMatchObject({ expected: DEMO_UNITS, succeeded: DEMO_UNITS, missing: 0 });
  }

  async function readOne<T>(query: SQL): Promise<T | undefined> {
    const database = await openCliDatabase(env);
    try {
      return await queryOne<T>(database.db, query);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    ({ env, close } = await cliNightTriggered(backend, {
      runDate,
      afterTrigger: async (db) => {
        const org = await queryOne<{ slug: string }>(
          db,
          sql`select o.slug from organizations o join batch_jobs j on j.org_id = o.id order by o.slug limit 1`,
        );
        slug = org?.slug ?? '';
      },
    }));
  }, 120_000);
  afterAll(() => close());

  it('after rerun --all the audit holds, and coverage counts each unit once', async () => {
    await answerAll();
    const rerun = await sched(['rerun', slug, '--all'], env);
    expect(rerun).toMatchObject({ code: 0, stderr: '' });
    await answerAll();
    await auditHoldsAndCountsOnce();
    const job = await readOne<{ fresh: boolean }>(
      sql`select (metadata->>'freshAnswers')::boolean as fresh from batch_jobs where source = 'rerun'`,
    );
    expect(job?.fresh).toBe(true);
  }, 120_000);

  it('a second fresh-answers run of the night asks for confirmation, naming the first and the cost', async () => {
    const again = await sched(['rerun', slug, '--all'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /already had fresh answers: a rerun of every unit by cli:dana at .*units once more \(about \$\d+\.\d\d\).*add --confirm/,
    );
    const confirmed = await sched(['rerun', slug, '--all', '--confirm'], env);
    expect(confirmed.code).toBe(0);
    await answerAll();

    // The whole night's "every unit" repair: the org's rerun already asked for fresh answers.
    const repair = await sched(['postcheck', '--repair', '--all'], env);
    expect(repair.code).toBe(1);
    expect(repair.stderr).toMatch(
      /already had fresh answers: a rerun of every unit by cli:dana.*`sched postcheck --repair --all --confirm`/,
    );
    expect((await sched(['postcheck', '--repair', '--all', '--confirm'], env)).code).toBe(0);
    await answerAll();
    expect((await sched(['audit', '--date', runDate], env)).code).toBe(0);
  }, 120_000);

  it('a manual run asks for fresh answers: afterwards the audit holds and coverage counts each unit once', async () => {
    const manual = await sched(['manual-run', '--json'], env);
    expect(manual.code).toBe(0);
    expect(JSON.parse(manual.stdout)).toMatchObject({ source: 'manual', tasks: DEMO_UNITS });
    await answerAll();
    // Every unit now has a success from the manual run beside the night's.
    const manualSuccesses = await readOne<{ n: number }>(
      sql`select count(*)::int as n from prompt_provider_responses r
          join batch_tasks t on t.id = r.batch_task_id join batch_jobs j on j.id = t.batch_job_id
          where r.run_date = ${runDate}::date and r.status = 'success' and j.source = 'manual'`,
    );
    expect(manualSuccesses?.n).toBe(DEMO_UNITS);
    await auditHoldsAndCountsOnce();
  }, 120_000);

  it('a second success nobody asked for is still flagged, saying which one', async () => {
    const database = await openCliDatabase(env);
    try {
      // A "missing units" repair that stored a success for a unit that already had one: a bug.
      await database.db.execute(sql`
        with unit as (select org_id, prompt_id, provider, run_date from batch_tasks order by id limit 1),
        job as (
          insert into batch_jobs (org_id, run_date, source, status, triggered_by)
          select org_id, run_date, 'repair', 'completed', 'rogue' from unit returning id),
        task as (
          insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, max_attempts, completed_at)
          select job.id, unit.org_id, unit.prompt_id, unit.provider, unit.run_date, 'completed', 3, now()
          from unit, job
          returning id, org_id, prompt_id, provider, run_date)
        insert into prompt_provider_responses (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at, status, response_text)
        select id, org_id, prompt_id, provider, 'm', run_date, now(), 'success', 'again' from task`);
    } finally {
      await database.close();
    }
    const audit = await sched(['audit', '--date', runDate, '--json'], env);
    expect(audit.code).toBe(1);
    const dup = JSON.parse(audit.stdout).violations.find(
      (v: { check: string }) => v.check === 'duplicate_success',
    );
    expect(dup.count).toBe(1);
    expect(dup.rows[0].unasked_response_ids.split(', ')).toHaveLength(2);
    expect(dup.rows[0].responses).toContain('repair');
  }, 120_000);
});
