import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run-audit.ts';
import type { AuditCheck, AuditResult } from '../../src/audit/types.ts';
import { type Db, queryOne, queryRows } from '../../src/db/client.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends } from '../support/db.ts';
import { insertResponses, installedAt } from '../support/insert-rows.ts';
import { type ClockedDeps, clockedDeps, completeAllLive, nightFixture } from '../support/scheduler-deps.ts';

/**
 * `sched audit` on a real database: a clean night passes; each kind of violation, made by hand
 * in the tables, is reported with the rows involved; `--fix` changes only what it says.
 */

const RUN_DATE = '2026-03-02';
const TRIGGER_AT = new Date('2026-03-02T08:00:00Z'); // 03:00 in New York
const AUDIT_AT = new Date('2026-03-02T15:00:00Z'); // 10:00: trigger and postcheck both long due

const auditDeps = (db: Db, env: Record<string, string> = {}) => clockedDeps(db, AUDIT_AT, env);

/** A finished night: every task answered, jobs closed by the reconciler, the postcheck recorded. */
async function finishNight(deps: ClockedDeps): Promise<void> {
  await completeAllLive(deps.db, RUN_DATE, new Date('2026-03-02T08:30:00Z'));
  await reconcile(deps.db, new Date('2026-03-02T08:40:00Z'));
  await runPostcheck(
    { db: deps.db, config: deps.config, clock: () => new Date('2026-03-02T09:00:00Z') },
    { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true },
  );
}

const audit = (deps: ClockedDeps, fix = false) => runAudit(deps, { runDates: [RUN_DATE], fix });

function violation(result: AuditResult, check: AuditCheck) {
  const found = result.violations.find((v) => v.check === check);
  if (!found)
    throw new Error(`no ${check} violation in ${JSON.stringify(result.violations.map((v) => v.check))}`);
  return found;
}

const oneTask = (db: Db, provider = 'openai') =>
  queryOne<{ id: number; prompt_id: string; org_id: string; batch_job_id: string }>(
    db,
    sql`select id, prompt_id, org_id, batch_job_id from batch_tasks
        where run_date = ${RUN_DATE}::date and provider = ${provider} order by id limit 1`,
  ).then((t) => {
    if (!t) throw new Error('no task');
    return t;
  });

describe.each(backends())('sched audit on $name', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: RUN_DATE, at: TRIGGER_AT } });

  it('passes a clean, finished night', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    const result = await audit(deps);
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('reports a task count that disagrees with the tasks', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    const task = await oneTask(night.db);
    // One count off by one, as a write that bypassed the triggers would leave it.
    await night.db.execute(sql`insert into task_counts (run_date, org_id, provider, status, tasks)
                               values (${RUN_DATE}::date, ${task.org_id}, 'openai', 'completed', 1)`);
    const v = violation(await audit(deps), 'task_counts_wrong');
    expect(v.count).toBe(1);
    expect(v.rows[0]).toMatchObject({ orgId: task.org_id, provider: 'openai', status: 'completed' });
    expect(Number(v.rows[0]?.counted)).toBe(Number(v.rows[0]?.tasks) + 1);
  });

  it('reports an expected unit without a task, with its org, prompt and provider', async () => {
    const deps = auditDeps(night.db);
    const gone = await oneTask(night.db, 'gemini');
    await night.db.execute(sql`delete from batch_tasks where id = ${gone.id}`);
    await finishNight(deps);
    const v = violation(await audit(deps), 'unit_without_task');
    expect(v.count).toBe(1);
    expect(v.rows[0]).toMatchObject({ prompt_id: gone.prompt_id, provider: 'gemini', org_id: gone.org_id });
  });

  it('reports a night that was due but never triggered', async () => {
    const deps = auditDeps(night.db);
    // Installed before that night: a night due before the install would not be owed.
    await installedAt(night.db, '2026-02-01T00:00:00Z');
    const result = await runAudit(deps, { runDates: ['2026-03-01'] });
    expect(violation(result, 'night_not_triggered').runDate).toBe('2026-03-01');
  });

  it('reports a trigger that ran twice for an org, duplicate successes and responses without a task', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    const task = await oneTask(night.db);
    await night.db.execute(sql`
      insert into batch_jobs (org_id, run_date, source, status, triggered_by)
      values (${task.org_id}, ${RUN_DATE}::date, 'nightly', 'completed', 'rogue')`);
    await insertResponses(night.db, [
      {
        org_id: task.org_id,
        prompt_id: task.prompt_id,
        provider: 'openai',
        run_date: RUN_DATE,
        run_at: '2026-03-02T09:30:00Z',
        status: 'success',
      },
    ]);
    const result = await audit(deps);
    expect(violation(result, 'nightly_twice').rows[0]).toMatchObject({
      org_id: task.org_id,
      nightly_jobs: 2,
    });
    expect(violation(result, 'duplicate_success').rows[0]).toMatchObject({
      prompt_id: task.prompt_id,
      provider: 'openai',
      successes: 2,
    });
    const orphan = violation(result, 'response_without_task');
    expect(orphan.rows[0]).toMatchObject({ prompt_id: task.prompt_id, task_id: null });
    expect(result.ok).toBe(false);
  });

  it('reports overdue leases, attempts over the maximum and live tasks older than the backfill window', async () => {
    const deps = auditDeps(night.db);
    const leased = await oneTask(night.db, 'anthropic');
    await night.db.execute(sql`
      update batch_tasks set status = 'processing', locked_by = 'dead-worker', attempts = 1,
             lease_expires_at = now() - interval '1 hour'
      where id = ${leased.id}`);
    const spent = await oneTask(night.db, 'perplexity');
    await night.db.execute(sql`update batch_tasks set attempts = max_attempts + 2 where id = ${spent.id}`);
    // A task of an old night belongs to a job of that night (the job key carries its run_date).
    await night.db.execute(sql`
      with old_job as (
        insert into batch_jobs (org_id, run_date, source, triggered_by)
        select org_id, '2026-01-15', 'nightly', 'scheduler' from batch_tasks where id = ${spent.id}
        returning id)
      insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status)
      select (select id from old_job), org_id, prompt_id, provider, '2026-01-15', 'pending' from batch_tasks where id = ${spent.id}`);
    const result = await audit(deps);
    expect(violation(result, 'lease_overdue').rows[0]).toMatchObject({
      task_id: leased.id,
      locked_by: 'dead-worker',
    });
    expect(violation(result, 'attempts_over_max').rows[0]).toMatchObject({ task_id: spent.id });
    expect(violation(result, 'live_task_too_old').rows[0]).toMatchObject({ run_date: '2026-01-15' });
  });

  it('reports job counters that disagree, jobs closed with live tasks and finished jobs left open', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    const jobs = await queryRows<{ id: string }>(
      night.db,
      sql`select id from batch_jobs where run_date = ${RUN_DATE}::date order by id limit 3`,
    );
    const [miscounted, reopened, open] = jobs.map((j) => j.id);
    await night.db.execute(
      sql`update batch_jobs set completed_tasks = completed_tasks + 5 where id = ${miscounted}`,
    );
    await night.db.execute(sql`
      update batch_tasks set status = 'pending', completed_at = null
      where id = (select id from batch_tasks where batch_job_id = ${reopened} order by id limit 1)`);
    await night.db.execute(sql`update batch_jobs set status = 'processing' where id = ${open}`);
    const result = await audit(deps);
    expect(violation(result, 'job_counts_wrong').rows.map((r) => r.job_id)).toContain(miscounted);
    expect(violation(result, 'job_closed_with_live_tasks').rows[0]).toMatchObject({
      job_id: reopened,
      live_tasks: 1,
    });
    expect(violation(result, 'job_not_closed').rows[0]).toMatchObject({ job_id: open });
  });

  it('reports a step left running, a missing postcheck, and a report that was never recorded', async () => {
    const deps = auditDeps(night.db, {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_REPORT_CHANNEL: 'C0REPORTS',
    });
    await night.db.execute(sql`
      insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
      values ('batch-reconciler', 'stuck-run', 'running', now() - interval '3 hours', 'scheduler')`);
    await completeAllLive(night.db, RUN_DATE, new Date('2026-03-02T08:30:00Z'));
    await reconcile(night.db, new Date('2026-03-02T08:40:00Z'));
    const before = await audit(deps);
    expect(violation(before, 'run_stuck').rows[0]).toMatchObject({ run_key: 'stuck-run' });
    expect(violation(before, 'postcheck_missing').runDate).toBe(RUN_DATE);

    await runPostcheck(
      { db: night.db, config: deps.config, clock: () => new Date('2026-03-02T09:00:00Z') },
      { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true },
    );
    const after = await audit(deps);
    expect(after.violations.map((v) => v.check)).not.toContain('postcheck_missing');
    expect(violation(after, 'report_not_recorded').rows[0]).toMatchObject({ channel: 'C0REPORTS' });
    await night.db.execute(
      sql`insert into slack_reports (run_date, channel, ts) values (${RUN_DATE}::date, 'C0REPORTS', '1.2')`,
    );
    expect((await audit(deps)).violations.map((v) => v.check)).not.toContain('report_not_recorded');
  });

  it('reports recorded postcheck figures that differ from the data, and notes a night that changed since', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    await night.db.execute(sql`
      update scheduler_runs
      set result = jsonb_set(result, '{promptCoverage,promptsRunToday}', '1')
      where function_name = 'scheduler-postcheck' and run_key = ${RUN_DATE}`);
    const forged = await audit(deps);
    expect(violation(forged, 'postcheck_figures_differ').rows[0]?.recorded).toMatch(/^prompts 1\//);

    // A task answered after the postcheck: the figures differ for a reason, told as a note.
    await night.db.execute(sql`
      update batch_tasks set completed_at = '2026-03-02T10:00:00Z'
      where id = (select id from batch_tasks where run_date = ${RUN_DATE}::date order by id limit 1)`);
    const changed = await audit(deps);
    expect(changed.violations.map((v) => v.check)).not.toContain('postcheck_figures_differ');
    expect(changed.notes[0]?.message).toMatch(/changed at 2026-03-02T10:00:00.000Z/);
  });

  /** The demo's first org: starter (openai, perplexity), 32 active prompts past its quota of 25. */
  const starterOrg = async (db: Db) => {
    const org = await queryOne<{ id: string }>(
      db,
      sql`select id from organizations
          where plan = 'starter' and active and subscription_status in ('active', 'trialing')
          order by created_at limit 1`,
    );
    if (!org) throw new Error('no starter org');
    return org.id;
  };

  it('notes a plan upgraded after the trigger, and still reports a unit missing from an org that did not change', async () => {
    const deps = auditDeps(night.db);
    const starter = await starterOrg(night.db);
    const gone = await queryOne<{ id: number; prompt_id: string; org_id: string }>(
      night.db,
      sql`select id, prompt_id, org_id from batch_tasks
          where run_date = ${RUN_DATE}::date and org_id <> ${starter} order by id limit 1`,
    );
    if (!gone) throw new Error('no task');
    await night.db.execute(sql`delete from batch_tasks where id = ${gone.id}`);
    await finishNight(deps);
    // The upgrade brings 7 prompts into the quota and two more providers: 78 units the trigger
    // could not know, which Repair runs.
    await night.db.execute(sql`update organizations set plan = 'enterprise' where id = ${starter}`);

    const result = await audit(deps);
    const missing = violation(result, 'unit_without_task');
    expect(missing.count).toBe(1);
    expect(missing.rows[0]).toMatchObject({ prompt_id: gone.prompt_id, org_id: gone.org_id });
    const note = result.notes.find((n) => n.check === 'unit_without_task');
    expect(note?.message).toMatch(/changed after its trigger for 1 org\(s\)/);
    expect(note?.message).toMatch(
      /prompts 25 -> 32, providers openai,perplexity -> anthropic,gemini,openai,perplexity/,
    );
  });

  it('notes a prompt swapped for another after the postcheck (the same count), not a fault', async () => {
    const deps = auditDeps(night.db);
    const starter = await starterOrg(night.db);
    await finishNight(deps);
    // The org's first prompt goes; its 26th comes into the quota of 25, never run tonight.
    await night.db.execute(sql`
      update prompts set active = false
      where id = (select id from prompts where org_id = ${starter} and active order by created_at, id limit 1)`);

    const result = await audit(deps);
    expect(result.violations).toEqual([]);
    const postcheck = result.notes.find((n) => n.check === 'postcheck_figures_differ');
    expect(postcheck?.message).toMatch(
      /changed after its postcheck for 1 org\(s\): .*\(25 prompts, not the same ones\)/,
    );
    expect(postcheck?.message).toMatch(/recorded prompts \d+\/(\d+), .* now prompts \d+\/\1,/);
  });

  it('holds a step recorded without a fingerprint (before it existed) to the older rule', async () => {
    const deps = auditDeps(night.db);
    const starter = await starterOrg(night.db);
    await finishNight(deps);
    await night.db.execute(sql`update scheduler_runs set expected_units = null`);
    await night.db.execute(sql`update organizations set plan = 'enterprise' where id = ${starter}`);
    // No task of the org stopped being expected: the older rule blames the trigger, as it did.
    expect(violation(await audit(deps), 'unit_without_task').count).toBe(78);
  });

  it('--fix repairs leases, counters, jobs and stuck runs, says so, and leaves responses alone', async () => {
    const deps = auditDeps(night.db);
    await finishNight(deps);
    const leased = await oneTask(night.db, 'anthropic');
    await night.db.execute(sql`
      update batch_tasks set status = 'processing', locked_by = 'dead-worker', attempts = 1,
             lease_expires_at = now() - interval '1 hour', completed_at = null
      where id = ${leased.id}`);
    await night.db.execute(sql`
      update batch_jobs set completed_tasks = completed_tasks + 3
      where id = (select id from batch_jobs where run_date = ${RUN_DATE}::date and id <> ${leased.batch_job_id} order by id limit 1)`);
    await night.db.execute(sql`
      insert into scheduler_runs (function_name, run_key, status, started_at, triggered_by)
      values ('daily-batch-trigger', '2026-02-01', 'running', now() - interval '5 hours', 'scheduler')`);
    const responses = async () =>
      (await queryOne<{ n: number }>(night.db, sql`select count(*)::int as n from prompt_provider_responses`))
        ?.n;
    const responsesBefore = await responses();
    const otherTasksBefore = await queryRows(
      night.db,
      sql`select id, status, attempts from batch_tasks where id <> ${leased.id} order by id`,
    );

    const result = await audit(deps, true);

    expect(result.fixed.map((f) => f.what)).toEqual(
      expect.arrayContaining([
        'expired leases returned to the queue',
        `job counters of ${RUN_DATE} recomputed from their tasks`,
        `jobs of ${RUN_DATE} reopened (they had live tasks)`,
        'stale running scheduler_runs rows marked failed',
      ]),
    );
    const checks = result.violations.map((v) => v.check);
    for (const fixed of ['lease_overdue', 'job_counts_wrong', 'job_closed_with_live_tasks', 'run_stuck'])
      expect(checks).not.toContain(fixed);
    expect(await responses()).toBe(responsesBefore);
    expect(
      await queryRows(
        night.db,
        sql`select id, status, attempts from batch_tasks where id <> ${leased.id} order by id`,
      ),
    ).toEqual(otherTasksBefore);
    expect(
      await queryOne(night.db, sql`select status, locked_by from batch_tasks where id = ${leased.id}`),
    ).toEqual({ status: 'pending', locked_by: null });
    const stuck = await queryOne<{ status: string; error: string }>(
      night.db,
      sql`select status, error from scheduler_runs where run_key = '2026-02-01'`,
    );
    expect(stuck?.status).toBe('failed');
    expect(stuck?.error).toMatch(/marked failed by sched audit --fix/);
    // The trigger of that day can now be claimed again.
    const retried = await runTrigger(clockedDeps(night.db, '2026-02-01T12:00:00Z'), {
      runDate: '2026-02-01',
      triggeredBy: 'test',
      scheduled: false,
    });
    expect(retried.status).toBe('triggered');
  });
});
