import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { demoOrganizations, demoPrompts } from '../../src/db/seed-demo.ts';
import { isSchedError } from '../../src/errors.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  jobsWithWrongTotals,
  nightFixture,
  taskCounts,
} from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const AT_THREE = '2026-03-02T08:00:00Z'; // 03:00 in New York (EST)

describe.each(backends())('nightly trigger on $name', (backend) => {
  const night = nightFixture(backend);

  it('fans out every expected unit once, one job per org with work; a second trigger creates nothing and says so', async () => {
    const deps = clockedDeps(night.db, AT_THREE);
    const first = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    expect(first).toMatchObject({ status: 'triggered', tasks: DEMO_UNITS, jobs: DEMO_ORGS_WITH_WORK });
    // 25 in-quota starter prompts (openai, perplexity) + 17 prompts of the other plans (all four).
    expect(first.status === 'triggered' && first.byProvider).toEqual({
      openai: 25 + 17,
      perplexity: 25 + 17,
      anthropic: 17,
      gemini: 17,
    });
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: DEMO_UNITS, pending: DEMO_UNITS });
    expect(await jobsWithWrongTotals(night.db, RUN_DATE)).toEqual([]);

    deps.at.now = new Date('2026-03-02T09:30:00Z');
    const second = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'cli:alice', scheduled: false });
    expect(second).toMatchObject({
      status: 'already_triggered',
      triggeredBy: 'scheduler',
      runStatus: 'completed',
    });
    expect(second.at.toISOString()).toBe(new Date(AT_THREE).toISOString());
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: DEMO_UNITS });

    const runs = await queryRows<{
      run_key: string;
      status: string;
      triggered_by: string;
      result: { tasks: number };
    }>(
      night.db,
      sql`select run_key, status, triggered_by, result from scheduler_runs where function_name = 'daily-batch-trigger'`,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ run_key: RUN_DATE, status: 'completed', triggered_by: 'scheduler' });
    expect(runs[0]?.result.tasks).toBe(DEMO_UNITS);
  });

  it('gives no task to an inactive prompt, a canceled org, an inactive org or an over-quota prompt', async () => {
    const orgs = demoOrganizations(6);
    const prompts = demoPrompts(orgs, 3);
    const [starter, growth, pro] = orgs as [(typeof orgs)[0], (typeof orgs)[0], (typeof orgs)[0]];
    await night.db.execute(
      sql`update organizations set subscription_status = 'canceled' where id = ${growth.id}::uuid`,
    );
    await night.db.execute(sql`update organizations set active = false where id = ${pro.id}::uuid`);
    const deps = clockedDeps(night.db, AT_THREE);
    const result = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: false });
    expect(result).toMatchObject({
      status: 'triggered',
      jobs: DEMO_ORGS_WITH_WORK - 2,
      tasks: DEMO_UNITS - 16 - 20,
    });

    const byPrompt = await queryRows<{ prompt_id: string; n: number }>(
      night.db,
      sql`select prompt_id, count(*)::int as n from batch_tasks group by prompt_id`,
    );
    const tasked = new Map(byPrompt.map((r) => [r.prompt_id, r.n]));
    const inactivePrompts = prompts.filter((p) => !p.active);
    expect(inactivePrompts.length).toBeGreaterThan(0);
    for (const p of inactivePrompts) expect(tasked.has(p.id)).toBe(false);
    for (const p of prompts.filter((p) => p.orgId === growth.id || p.orgId === pro.id)) {
      expect(tasked.has(p.id)).toBe(false);
    }
    // The starter org's prompts ranked 26..32 by (created_at, id) are over its quota of 25.
    const starterActive = prompts.filter((p) => p.orgId === starter.id && p.active);
    expect(starterActive).toHaveLength(32);
    starterActive.forEach((p, rank) => {
      expect(tasked.get(p.id) ?? 0).toBe(rank < 25 ? 2 : 0);
    });
    const jobless = await queryOne<{ n: number }>(
      night.db,
      sql`select count(*)::int as n from batch_jobs where org_id in (${growth.id}::uuid, ${pro.id}::uuid)`,
    );
    expect(jobless?.n).toBe(0);
  });

  it('ten triggers at once for the same run_date: one fan-out, one run row, nine "already"', async () => {
    const deps = clockedDeps(night.db, AT_THREE);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runTrigger(deps, { runDate: RUN_DATE, triggeredBy: `instance-${i}`, scheduled: true }),
      ),
    );
    expect(results.filter((r) => r.status === 'triggered')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'already_triggered')).toHaveLength(9);
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: DEMO_UNITS });
    const jobs = await queryOne<{ n: number }>(night.db, sql`select count(*)::int as n from batch_jobs`);
    expect(jobs?.n).toBe(DEMO_ORGS_WITH_WORK);
  });

  it('a fan-out that fails leaves no task and a failed run row that the next trigger takes over', async () => {
    const deps = clockedDeps(night.db, AT_THREE);
    // Break the fan-out inside its transaction: a check constraint that every task insert violates.
    await night.db.execute(
      sql`alter table batch_tasks add constraint test_no_tasks check (provider <> 'openai') not valid`,
    );
    await expect(
      runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true }),
    ).rejects.toThrow();
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: 0 });
    const jobs = await queryOne<{ n: number }>(night.db, sql`select count(*)::int as n from batch_jobs`);
    expect(jobs?.n).toBe(0);
    const failed = await queryOne<{ status: string; error: string }>(
      night.db,
      sql`select status, error from scheduler_runs where function_name = 'daily-batch-trigger' and run_key = ${RUN_DATE}`,
    );
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toMatch(/test_no_tasks/);

    await night.db.execute(sql`alter table batch_tasks drop constraint test_no_tasks`);
    const retry = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    expect(retry).toMatchObject({ status: 'triggered', tasks: DEMO_UNITS });
  });

  it('leaves tonight visible to the planner: the tasks are analysed after the fan-out', async () => {
    // Yesterday's night is in the statistics (as autovacuum would leave it); tonight's tasks
    // come as one block after that. Before: the planner estimated tonight at 1 row.
    const deps = clockedDeps(night.db, '2026-03-01T08:00:00Z');
    await runTrigger(deps, { runDate: '2026-03-01', triggeredBy: 'scheduler', scheduled: true });
    await night.db.execute(sql`analyze batch_tasks`);
    deps.at.now = new Date(AT_THREE);
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    const plan = await queryOne<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      night.db,
      sql`explain (format json) select * from batch_tasks where run_date = ${RUN_DATE}::date`,
    );
    const estimate = plan?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0;
    expect(estimate).toBeGreaterThanOrEqual(DEMO_UNITS / 2);
  });

  it('refuses a run_date in the future of the scheduling zone', async () => {
    // 2026-03-02 23:30 in New York is already 2026-03-03 in UTC: the 3rd is still tomorrow.
    const deps = clockedDeps(night.db, '2026-03-03T04:30:00Z');
    const error = await runTrigger(deps, { runDate: '2026-03-03', triggeredBy: 't', scheduled: false }).catch(
      (e) => e,
    );
    expect(isSchedError(error, 'usage')).toBe(true);
    expect(await taskCounts(night.db, '2026-03-03')).toMatchObject({ total: 0 });
  });
});
