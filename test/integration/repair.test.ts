import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { isSchedError } from '../../src/errors.ts';
import { runManualDaily } from '../../src/scheduler/manual-run.ts';
import { previewRepair, repairMissing } from '../../src/scheduler/repair.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  endNightWithFailures,
  jobsWithWrongTotals,
  nightFixture,
  taskCounts,
} from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');
const PERPLEXITY_UNITS = 42;

describe.each(backends())('repair and manual run on $name', (backend) => {
  // The night ends with every perplexity unit failed, everything else answered.
  const night = nightFixture(backend, {
    trigger: { runDate: RUN_DATE, at: T0 },
    shape: (db) => endNightWithFailures(db, RUN_DATE, T0, 'perplexity', 'auth'),
  });

  it('previews exactly the missing units, then enqueues exactly those', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T09:10:00Z');
    const preview = await previewRepair(deps, { runDate: RUN_DATE });
    expect(preview).toMatchObject({
      runDate: RUN_DATE,
      units: PERPLEXITY_UNITS,
      orgs: DEMO_ORGS_WITH_WORK,
      byProvider: { perplexity: PERPLEXITY_UNITS },
      nightlyTriggered: true,
      inProgress: undefined,
    });
    const result = await repairMissing(deps, { runDate: RUN_DATE, triggeredBy: 'U123' });
    expect(result).toMatchObject({ source: 'repair', scope: 'missing', tasks: PERPLEXITY_UNITS, orgs: 5 });
    const live = await queryRows<{ provider: string; source: string; triggered_by: string }>(
      night.db,
      sql`select t.provider, j.source, j.triggered_by from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
          where t.status = 'pending'`,
    );
    expect(live).toHaveLength(PERPLEXITY_UNITS);
    expect(new Set(live.map((t) => `${t.provider}/${t.source}/${t.triggered_by}`))).toEqual(
      new Set(['perplexity/repair/U123']),
    );
    const run = await queryOne<{
      status: string;
      triggered_by: string;
      result: { source: string; tasks: number };
    }>(night.db, sql`select status, triggered_by, result from scheduler_runs where id = ${result.runId}`);
    expect(run).toMatchObject({
      status: 'completed',
      triggered_by: 'U123',
      result: { source: 'repair', tasks: 42 },
    });

    const again = await previewRepair(deps, { runDate: RUN_DATE });
    expect(again.units).toBe(0);
    expect(again.inProgress).toMatchObject({ triggeredBy: 'U123', liveTasks: PERPLEXITY_UNITS });
  });

  it('a scoped repair enqueues only that provider, or only failed units, and previews the same', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T09:10:00Z');
    // One openai unit is missing without having failed (its task and answer are gone).
    await night.db.execute(
      sql`with gone as (
            delete from batch_tasks where id = (select id from batch_tasks where provider = 'openai' order by id limit 1)
            returning id)
          delete from prompt_provider_responses where batch_task_id in (select id from gone)`,
    );
    expect((await previewRepair(deps, { runDate: RUN_DATE })).units).toBe(PERPLEXITY_UNITS + 1);
    const failedOnly = await previewRepair(deps, { runDate: RUN_DATE, scope: { units: 'failed' } });
    expect(failedOnly).toMatchObject({
      units: PERPLEXITY_UNITS,
      byProvider: { perplexity: PERPLEXITY_UNITS },
    });
    expect(failedOnly.scope).toEqual({ units: 'failed' });
    const openai = await previewRepair(deps, {
      runDate: RUN_DATE,
      scope: { units: 'missing', provider: 'openai' },
    });
    expect(openai).toMatchObject({ units: 1, byProvider: { openai: 1 } });

    const result = await repairMissing(deps, {
      runDate: RUN_DATE,
      triggeredBy: 'U5',
      scope: { units: 'missing', provider: 'openai' },
    });
    expect(result).toMatchObject({ tasks: 1, provider: 'openai', byProvider: { openai: 1 } });
    const after = await previewRepair(deps, { runDate: RUN_DATE });
    expect(after).toMatchObject({ units: PERPLEXITY_UNITS, byProvider: { perplexity: PERPLEXITY_UNITS } });
  });

  it('ten concurrent repairs leave exactly one set of live tasks, and job totals equal their real tasks', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T09:10:00Z');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        repairMissing(deps, { runDate: RUN_DATE, triggeredBy: `user-${i}` }),
      ),
    );
    expect(results.reduce((n, r) => n + r.tasks, 0)).toBe(PERPLEXITY_UNITS);
    expect(results.filter((r) => r.tasks > 0)).toHaveLength(1);
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ live: PERPLEXITY_UNITS });
    const duplicates = await queryRows(
      night.db,
      sql`select prompt_id, provider from batch_tasks where status in ('pending', 'processing')
          group by prompt_id, provider having count(*) > 1`,
    );
    expect(duplicates).toEqual([]);
    expect(await jobsWithWrongTotals(night.db, RUN_DATE)).toEqual([]);
    const empty = await queryOne<{ n: number }>(
      night.db,
      sql`select count(*)::int as n from batch_jobs where source = 'repair' and total_tasks = 0`,
    );
    expect(empty?.n).toBe(0);
    const runs = await queryOne<{ n: number }>(
      night.db,
      sql`select count(*)::int as n from scheduler_runs where function_name = 'repair' and status = 'completed'`,
    );
    expect(runs?.n).toBe(10);
  });

  it('manual run re-enqueues every expected unit that has no live task, as source manual', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T15:00:00Z');
    await repairMissing(deps, { runDate: RUN_DATE, triggeredBy: 'U1' });
    const [manual, second] = await Promise.all([
      runManualDaily(deps, { runDate: RUN_DATE, triggeredBy: 'U2' }),
      runManualDaily(deps, { runDate: RUN_DATE, triggeredBy: 'U3' }),
    ]);
    // The 42 perplexity units already have live repair tasks; the other 76 are enqueued once.
    expect(manual.tasks + second.tasks).toBe(DEMO_UNITS - PERPLEXITY_UNITS);
    expect(manual.source).toBe('manual');
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ live: DEMO_UNITS });
    expect(await jobsWithWrongTotals(night.db, RUN_DATE)).toEqual([]);
    const runs = await queryRows<{ triggered_by: string }>(
      night.db,
      sql`select triggered_by from scheduler_runs where function_name = 'manual-daily-run' order by triggered_by`,
    );
    expect(runs.map((r) => r.triggered_by)).toEqual(['U2', 'U3']);
  });

  it('refuses to repair a future run_date', async () => {
    const deps = clockedDeps(night.db, '2026-03-02T09:10:00Z');
    const error = await repairMissing(deps, { runDate: '2026-03-05', triggeredBy: 'U1' }).catch((e) => e);
    expect(isSchedError(error, 'usage')).toBe(true);
  });
});
