import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { demoOrganizations } from '../../src/db/seed-demo.ts';
import { isSchedError } from '../../src/errors.ts';
import { previewRerun, rerunOrg } from '../../src/scheduler/rerun.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  endNightWithFailures,
  jobsWithWrongTotals,
  nightFixture,
} from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');
const orgs = demoOrganizations(6);
const growth = orgs[1] as (typeof orgs)[0]; // growth plan, 4 active prompts x 4 providers = 16 units
const pastDue = orgs[4] as (typeof orgs)[0];

describe.each(backends())('rerun of one org on $name', (backend) => {
  // Everything answered except the growth org's gemini units, which failed.
  const night = nightFixture(backend, {
    trigger: { runDate: RUN_DATE, at: T0 },
    shape: async (db) => {
      await endNightWithFailures(db, RUN_DATE, T0, 'gemini', 'server');
      await db.execute(
        sql`with ok as (update batch_tasks set status = 'completed'
                        where provider = 'gemini' and org_id <> ${growth.id}::uuid returning *)
            insert into prompt_provider_responses (batch_task_id, org_id, prompt_id, provider, model, run_date, status)
            select id, org_id, prompt_id, provider, 'simulated', run_date, 'success' from ok`,
      );
    },
  });

  const orgTasks = (status: string) =>
    queryRows<{ provider: string; source: string; triggered_by: string }>(
      night.db,
      sql`select t.provider, j.source, j.triggered_by from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
          where t.org_id = ${growth.id}::uuid and t.status = ${status}`,
    );

  it("scope missing enqueues only the org's missing units, as previewed", async () => {
    const deps = clockedDeps(night.db, '2026-03-02T14:00:00Z');
    const preview = await previewRerun(deps, { orgId: growth.id, runDate: RUN_DATE, scope: 'missing' });
    expect(preview).toMatchObject({ units: 4, orgs: 1, byProvider: { gemini: 4 }, notEligible: undefined });
    expect(preview.org.slug).toBe(growth.slug);
    const result = await rerunOrg(deps, {
      orgId: growth.id,
      runDate: RUN_DATE,
      scope: 'missing',
      triggeredBy: 'U9',
    });
    expect(result).toMatchObject({ tasks: 4, jobs: 1, source: 'rerun', scope: 'missing' });
    const pending = await orgTasks('pending');
    expect(pending).toHaveLength(4);
    expect(
      pending.every((t) => t.provider === 'gemini' && t.source === 'rerun' && t.triggered_by === 'U9'),
    ).toBe(true);
    const others = await queryOne<{ n: number }>(
      night.db,
      sql`select count(*)::int as n from batch_tasks where status = 'pending' and org_id <> ${growth.id}::uuid`,
    );
    expect(others?.n).toBe(0);
    const run = await queryOne<{ triggered_by: string; result: { orgIds: string[]; source: string } }>(
      night.db,
      sql`select triggered_by, result from scheduler_runs where function_name = 'rerun'`,
    );
    expect(run).toMatchObject({ triggered_by: 'U9', result: { orgIds: [growth.id], source: 'rerun' } });
  });

  it('scope all enqueues every expected unit of the org, skipping those already live', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T14:00:00Z');
    await rerunOrg(deps, { orgId: growth.id, runDate: RUN_DATE, scope: 'missing', triggeredBy: 'U1' });
    expect((await previewRerun(deps, { orgId: growth.id, runDate: RUN_DATE, scope: 'all' })).units).toBe(12);
    // Both confirmed: two fresh-answers reruns at once (the second would otherwise be refused).
    const all = { orgId: growth.id, runDate: RUN_DATE, scope: 'all' as const, confirmFresh: true };
    const results = await Promise.all([
      rerunOrg(deps, { ...all, triggeredBy: 'U2' }),
      rerunOrg(deps, { ...all, triggeredBy: 'U3' }),
    ]);
    expect(results.reduce((n, r) => n + r.tasks, 0)).toBe(12);
    expect(await orgTasks('pending')).toHaveLength(16);
    expect(await jobsWithWrongTotals(night.db, RUN_DATE)).toEqual([]);
  });

  it('scope failed redoes only the units whose try failed; a provider narrows any scope', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T14:00:00Z');
    // One openai unit of the org is missing without ever having failed: its task and answer are gone.
    await night.db.execute(
      sql`with gone as (
            delete from batch_tasks where id = (
              select id from batch_tasks where org_id = ${growth.id}::uuid and provider = 'openai' order by id limit 1)
            returning id)
          delete from prompt_provider_responses where batch_task_id in (select id from gone)`,
    );
    const preview = (scope: 'missing' | 'failed' | 'all', provider?: string) =>
      previewRerun(deps, { orgId: growth.id, runDate: RUN_DATE, scope, provider });
    expect(await preview('missing')).toMatchObject({ units: 5, byProvider: { gemini: 4, openai: 1 } });
    expect(await preview('failed')).toMatchObject({ units: 4, byProvider: { gemini: 4 } });
    expect(await preview('missing', 'openai')).toMatchObject({ units: 1, byProvider: { openai: 1 } });
    expect(await preview('failed', 'openai')).toMatchObject({ units: 0 });
    expect(await preview('all', 'anthropic')).toMatchObject({ units: 4, byProvider: { anthropic: 4 } });

    const result = await rerunOrg(deps, {
      orgId: growth.id,
      runDate: RUN_DATE,
      scope: 'failed',
      provider: 'gemini',
      triggeredBy: 'U7',
    });
    expect(result).toMatchObject({
      tasks: 4,
      scope: 'failed',
      provider: 'gemini',
      byProvider: { gemini: 4 },
    });
    expect((await orgTasks('pending')).map((t) => t.provider)).toEqual([
      'gemini',
      'gemini',
      'gemini',
      'gemini',
    ]);
    const run = await queryOne<{ result: { scope: string; provider: string } }>(
      night.db,
      sql`select result from scheduler_runs where function_name = 'rerun'`,
    );
    expect(run?.result).toMatchObject({ scope: 'failed', provider: 'gemini' });

    const unknown = await preview('missing', 'mistral').catch((e) => e);
    expect(isSchedError(unknown, 'usage')).toBe(true);
    expect(String(unknown.message)).toMatch(/unknown provider "mistral": one of openai, anthropic/);
  });

  it('an org the night skips gets nothing, with the reason; an unknown id is not_found', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T14:00:00Z');
    const result = await rerunOrg(deps, {
      orgId: pastDue.id,
      runDate: RUN_DATE,
      scope: 'all',
      triggeredBy: 'U1',
    });
    expect(result.tasks).toBe(0);
    expect(result.notEligible).toMatch(/subscription is past_due/);
    const unknown = await rerunOrg(deps, {
      orgId: '00000000-0000-4000-8000-000000000000',
      runDate: RUN_DATE,
      scope: 'all',
      triggeredBy: 'U1',
    }).catch((e) => e);
    expect(isSchedError(unknown, 'not_found')).toBe(true);
    const junk = await previewRerun(deps, {
      orgId: "x'; drop table organizations; --",
      runDate: RUN_DATE,
      scope: 'all',
    }).catch((e) => e);
    expect(isSchedError(junk, 'not_found')).toBe(true);
  });
});
