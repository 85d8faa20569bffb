import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends } from '../support/db.ts';
import { clockedDeps, DEMO_UNITS, nightFixture, taskCounts } from '../support/scheduler-deps.ts';

/**
 * Issue 9, "the report never says healthy when it is not": a night with active prompts but no
 * enabled provider is not a done night, and not a healthy one.
 */

const RUN_DATE = '2026-03-02';
const AT_THREE = '2026-03-02T08:00:00Z'; // 03:00 in New York (EST)
const AT_FOUR = '2026-03-02T09:00:00Z';
/** The defaults: America/New_York, 95 % thresholds, the documented prices. */
const options = loadConfig({});

describe.each(backends())('a night with nothing expected on $name', (backend) => {
  const night = nightFixture(backend);
  const disableAll = () => night.db.execute(sql`update providers set enabled = false`);
  const triggerRows = () =>
    queryRows<{ status: string; error: string | null; result: { reason?: { code: string } } | null }>(
      night.db,
      sql`select status, error, result from scheduler_runs
          where function_name = 'daily-batch-trigger' and run_key = ${RUN_DATE}`,
    );

  it('a trigger with every provider disabled enqueues nothing, says why, and does not use up the night', async () => {
    await disableAll();
    const deps = clockedDeps(night.db, AT_THREE);
    const first = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    expect(first).toMatchObject({
      status: 'nothing_enqueued',
      reason: { code: 'no_provider_enabled' },
    });
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: 0 });
    const jobs = await queryOne<{ n: number }>(night.db, sql`select count(*)::int as n from batch_jobs`);
    expect(jobs?.n).toBe(0);
    const rows = await triggerRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('skipped');
    expect(rows[0]?.error).toMatch(/no provider is enabled/);
    expect(rows[0]?.result?.reason?.code).toBe('no_provider_enabled');

    // A second trigger is not "already triggered": it looks again, and still finds nothing.
    const again = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'cli:alice', scheduled: false });
    expect(again.status).toBe('nothing_enqueued');

    // Once a provider is enabled, the next trigger runs the night.
    await night.db.execute(sql`update providers set enabled = true where name = 'openai'`);
    const third = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'cli:alice', scheduled: false });
    // openai: 25 starter + 17 other prompts (see seedSmallDemo).
    expect(third).toMatchObject({ status: 'triggered', tasks: 42, byProvider: { openai: 42 } });
    expect(await triggerRows()).toMatchObject([{ status: 'completed' }]);
  });

  it('the catch-up tick takes a skipped trigger over once a provider is enabled', async () => {
    await disableAll();
    const deps = clockedDeps(night.db, AT_THREE);
    const tick = await schedulerTick(deps, { now: new Date(AT_THREE) });
    expect(tick.trigger).toBe('ran');
    expect(await triggerRows()).toMatchObject([{ status: 'skipped' }]);

    await night.db.execute(sql`update providers set enabled = true`);
    deps.at.now = new Date('2026-03-02T08:05:00Z');
    await schedulerTick(deps, { now: deps.at.now });
    expect(await triggerRows()).toMatchObject([{ status: 'completed' }]);
    expect(await taskCounts(night.db, RUN_DATE)).toMatchObject({ total: DEMO_UNITS });
  });

  it('with no active prompt at all an empty night is legitimately done and healthy', async () => {
    await night.db.execute(sql`update prompts set active = false`);
    const deps = clockedDeps(night.db, AT_THREE);
    const result = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    expect(result).toMatchObject({ status: 'triggered', tasks: 0 });
    expect(await triggerRows()).toMatchObject([{ status: 'completed' }]);
    const { report } = await runPostcheck(
      { db: night.db, config: options, clock: () => new Date(AT_FOUR) },
      { runDate: RUN_DATE, triggeredBy: 'test' },
    );
    expect(report.summary.overallHealth).toBe('HEALTHY');
    expect(report.summary.reasons).toEqual([]);
  });

  it('the postcheck never says HEALTHY 100% (0/0) when every provider is disabled', async () => {
    await disableAll();
    const deps = clockedDeps(night.db, AT_THREE);
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    const { report, runId } = await runPostcheck(
      { db: night.db, config: options, clock: () => new Date(AT_FOUR) },
      { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true },
    );
    expect(report.promptCoverage.expectedActivePrompts).toBe(0);
    expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(report.summary.reasons.map((r) => r.code)).toEqual(['no_provider_enabled']);
    expect(report.summary.reasons[0]?.message).toMatch(/active prompts/);
    // The seed's keys stay where saved queries read them.
    const stored = await queryOne<{ health: string; codes: string }>(
      night.db,
      sql`select result->'summary'->>'overallHealth' as health,
                 result->'summary'->'reasons'->0->>'code' as codes
          from scheduler_runs where id = ${runId}`,
    );
    expect(stored).toEqual({ health: 'NEEDS_ATTENTION', codes: 'no_provider_enabled' });
  });

  it('the postcheck of a night whose trigger never ran says so, even when nothing is expected', async () => {
    await disableAll();
    const { report } = await runPostcheck(
      { db: night.db, config: options, clock: () => new Date(AT_FOUR) },
      { runDate: RUN_DATE, triggeredBy: 'test' },
    );
    expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(report.summary.reasons.map((r) => r.code).sort()).toEqual([
      'no_provider_enabled',
      'trigger_not_run',
    ]);
  });

  it('a night that never ran with providers enabled names the missing trigger beside the coverage', async () => {
    const { report } = await runPostcheck(
      { db: night.db, config: options, clock: () => new Date(AT_FOUR) },
      { runDate: RUN_DATE, triggeredBy: 'test' },
    );
    expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(report.summary.reasons.map((r) => r.code)).toEqual([
      'trigger_not_run',
      'prompt_coverage_below_threshold',
      'org_coverage_below_threshold',
      // Every enabled provider expected units and answered none.
      'provider_coverage_below_threshold',
      'provider_coverage_below_threshold',
      'provider_coverage_below_threshold',
      'provider_coverage_below_threshold',
    ]);
  });
});
