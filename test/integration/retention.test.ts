import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run-audit.ts';
import { formatRetention } from '../../src/cli/commands/retention.ts';
import { type Db, queryOne } from '../../src/db/client.ts';
import { getNight, listHistory } from '../../src/scheduler/history.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { repairMissing } from '../../src/scheduler/repair.ts';
import { runRetention } from '../../src/scheduler/retention.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  completeAllLive,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  nightFixture,
} from '../support/scheduler-deps.ts';

/**
 * Opt-in retention: a night past QUEUE_RETENTION_DAYS whose postcheck is recorded loses its task
 * partition and jobs; its history line, figures and audit stay (and say the details are gone), a
 * repair is refused with that reason, its responses stay unless RESPONSE_RETENTION_DAYS is set.
 * A night without a recorded postcheck is kept.
 */

const OLD = '2026-03-02';
const UNCHECKED = '2026-03-03';
const TODAY_AT = new Date('2026-03-20T15:00:00Z');
const zone = 'America/New_York';

const count = async (db: Db, query: ReturnType<typeof sql>) => (await queryOne<{ n: number }>(db, query))?.n;
const partitionExists = async (db: Db, name: string) =>
  (await queryOne<{ found: boolean }>(db, sql`select to_regclass(${name}) is not null as found`))?.found;
const rollupOf = (db: Db) =>
  count(
    db,
    sql`select coalesce(sum(succeeded), 0)::int as n from coverage_rollup where run_date = ${OLD}::date`,
  );

describe.each(backends())('retention on $name', (backend) => {
  const night = nightFixture(backend, {
    shape: async (db) => {
      for (const runDate of [OLD, UNCHECKED]) {
        const deps = clockedDeps(db, `${runDate}T08:00:00Z`);
        await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
        await completeAllLive(db, runDate, new Date(`${runDate}T08:30:00Z`));
        await reconcile(db, new Date(`${runDate}T08:40:00Z`));
      }
      const checked = clockedDeps(db, `${OLD}T09:00:00Z`);
      await runPostcheck(checked, { runDate: OLD, triggeredBy: 'scheduler', scheduled: true });
    },
  });
  const deps = (env: Record<string, string> = {}) => clockedDeps(night.db, TODAY_AT, env);

  it('does nothing unless QUEUE_RETENTION_DAYS is set', async () => {
    const result = await runRetention(deps(), { dryRun: false });
    expect(result).toMatchObject({ enabled: false, pruned: [] });
    expect(formatRetention(result)).toMatch(/Retention is off/);
    expect(await partitionExists(night.db, 'batch_tasks_p20260302')).toBe(true);
  });

  it('a dry run says what it would remove and removes nothing', async () => {
    const result = await runRetention(deps({ QUEUE_RETENTION_DAYS: '7' }), { dryRun: true });
    expect(result.nights).toEqual([
      {
        runDate: OLD,
        queue: true,
        responses: false,
        tasks: DEMO_UNITS,
        jobs: DEMO_ORGS_WITH_WORK,
        responseRows: DEMO_UNITS,
      },
      {
        runDate: UNCHECKED,
        queue: false,
        responses: false,
        keptBecause: 'no_postcheck',
        tasks: DEMO_UNITS,
        jobs: DEMO_ORGS_WITH_WORK,
        responseRows: DEMO_UNITS,
      },
      // Made ahead by the last trigger, never used.
      { runDate: '2026-03-04', queue: true, responses: true, tasks: 0, jobs: 0, responseRows: 0 },
    ]);
    expect(formatRetention(result)).toBe(
      'Retention, dry run: 2 nights would be pruned.\n' +
        `${OLD}  would remove ${DEMO_UNITS} tasks and ${DEMO_ORGS_WITH_WORK} jobs\n` +
        `${UNCHECKED}  kept: no postcheck recorded yet\n` +
        '2026-03-04  would remove its empty partitions\n',
    );
    expect(
      await count(night.db, sql`select count(*)::int as n from batch_tasks where run_date = ${OLD}::date`),
    ).toBe(DEMO_UNITS);
  });

  it('prunes a recorded night: history, figures and audit stay; a repair is refused', async () => {
    const history = await listHistory(night.db, { days: 20, now: TODAY_AT, timezone: zone });
    const recorded = await getNight(night.db, OLD);
    const rollup = await rollupOf(night.db);

    const env = { QUEUE_RETENTION_DAYS: '7' };
    const result = await runRetention(deps(env), { dryRun: false });
    expect(result.pruned).toEqual([
      { runDate: OLD, tasks: DEMO_UNITS, jobs: DEMO_ORGS_WITH_WORK, responses: 0 },
      { runDate: '2026-03-04', tasks: 0, jobs: 0, responses: 0 },
    ]);
    expect(await partitionExists(night.db, 'prompt_provider_responses_p20260304')).toBe(false);
    expect(await partitionExists(night.db, 'batch_tasks_p20260302')).toBe(false);
    expect(
      await count(night.db, sql`select count(*)::int as n from batch_jobs where run_date = ${OLD}::date`),
    ).toBe(0);
    // Responses and the rollup stay; the unchecked night keeps everything.
    expect(
      await count(
        night.db,
        sql`select count(*)::int as n from prompt_provider_responses where run_date = ${OLD}::date`,
      ),
    ).toBe(DEMO_UNITS);
    expect(await rollupOf(night.db)).toBe(rollup);
    expect(await partitionExists(night.db, 'batch_tasks_p20260303')).toBe(true);

    const after = await listHistory(night.db, { days: 20, now: TODAY_AT, timezone: zone });
    const pruned = after.find((e) => e.runDate === OLD);
    expect(pruned?.detailsPrunedAt).toBeInstanceOf(Date);
    expect(after.map(({ detailsPrunedAt: _, ...e }) => e)).toEqual(history);
    const measured = await measureCoverage(deps(env), { runDate: OLD });
    expect(measured).toEqual({ ...recorded, detailsPrunedAt: TODAY_AT.toISOString() });

    await expect(repairMissing(deps(env), { runDate: OLD, triggeredBy: 'U1' })).rejects.toThrow(
      /removed by retention .* can no longer be repaired/,
    );
    const audit = await runAudit(deps(env), { runDates: [OLD], fix: false });
    expect(audit.violations.filter((v) => v.runDate === OLD)).toEqual([]);
    expect(audit.notes).toContainEqual(expect.objectContaining({ check: 'night_pruned', runDate: OLD }));

    // A second run finds nothing left to do for it.
    expect((await runRetention(deps(env), { dryRun: false })).pruned).toEqual([]);
  });

  it('removes responses only with RESPONSE_RETENTION_DAYS, and records how many', async () => {
    const env = { QUEUE_RETENTION_DAYS: '7', RESPONSE_RETENTION_DAYS: '10' };
    const result = await runRetention(deps(env), { dryRun: false });
    expect(result.pruned).toEqual([
      { runDate: OLD, tasks: DEMO_UNITS, jobs: DEMO_ORGS_WITH_WORK, responses: DEMO_UNITS },
      { runDate: '2026-03-04', tasks: 0, jobs: 0, responses: 0 },
    ]);
    expect(await partitionExists(night.db, 'prompt_provider_responses_p20260302')).toBe(false);
    expect(
      await count(night.db, sql`select responses as n from pruned_nights where run_date = ${OLD}::date`),
    ).toBe(DEMO_UNITS);
    // The unchecked night keeps its responses too.
    expect(
      await count(
        night.db,
        sql`select count(*)::int as n from prompt_provider_responses where run_date = ${UNCHECKED}::date`,
      ),
    ).toBe(DEMO_UNITS);
  });
});
