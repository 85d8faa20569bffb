import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { formatHistory } from '../../src/cli/commands/history.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { enqueueUnits } from '../../src/queue/enqueue-units.ts';
import { getNight, listHistory } from '../../src/scheduler/history.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { upgradeBackends as backends, openMigratedBefore } from '../support/old-migrations.ts';
import {
  clockedDeps,
  completeAllLive,
  endNightWithFailures,
  seedSmallDemo,
} from '../support/scheduler-deps.ts';

/**
 * The upgrade to partitioned queue tables (0015_queue_partitions.sql), from a database built by
 * the migrations before it, with two nights in it: every row, id, figure and history line must
 * come through unchanged, and the night's new writes must land in its partition.
 */

const NIGHTS = ['2026-03-07', '2026-03-08'] as const;
const zone = 'America/New_York';
const now = new Date('2026-03-09T15:00:00Z');

describe.each(backends)('upgrade to partitioned queue tables ($name)', (backend) => {
  it('keeps every night, its rows, figures and history', { timeout: 120_000 }, async () => {
    const database = await openMigratedBefore(backend, '0015_queue_partitions');
    const { db } = database;
    // Today's steps record what a night expects (scheduler_runs.expected_units, a later migration
    // than those under test): the column is there while they build the old nights, and goes
    // before the upgrade, which adds it again.
    await db.execute(sql`alter table scheduler_runs add column expected_units jsonb`);

    await seedSmallDemo(db);
    for (const [i, runDate] of NIGHTS.entries()) {
      const at = new Date(`${runDate}T08:00:00Z`);
      const deps = clockedDeps(db, at);
      await enqueueUnits(db, {
        runDate,
        source: 'nightly',
        scope: 'all',
        triggeredBy: 'scheduler',
        maxAttempts: 3,
        now: at,
      });
      if (i === 0) await completeAllLive(db, runDate, at);
      else await endNightWithFailures(db, runDate, at, 'gemini', 'server');
      await runPostcheck(
        { ...deps, config: { ...deps.config, timezone: zone } },
        { runDate, scheduled: true, triggeredBy: 'scheduler' },
      );
    }
    const snapshot = async () => ({
      tasks: await queryRows(db, sql`select * from batch_tasks order by id`),
      responses: await queryRows(db, sql`select * from prompt_provider_responses order by id`),
      rollup: await queryRows(
        db,
        sql`select run_date::text, org_id, provider, sum(succeeded)::int as n from coverage_rollup
            group by 1, 2, 3 order by 1, 2, 3`,
      ),
      history: formatHistory(await listHistory(db, { days: 5, now, timezone: zone }), zone),
      nights: await Promise.all(NIGHTS.map((d) => getNight(db, d))),
      coverage: await Promise.all(
        NIGHTS.map(async (runDate) => {
          const deps = clockedDeps(db, now);
          const report = await measureCoverage(deps, { runDate, now });
          return { ...report, providersWithoutLiveWorker: undefined };
        }),
      ),
    });
    await db.execute(sql`alter table scheduler_runs drop column expected_units`);
    const before = await snapshot();
    expect(before.tasks.length).toBeGreaterThan(100);
    expect(before.rollup.length).toBeGreaterThan(0);

    await migrateDatabase(database);

    // Every old column unchanged; columns later migrations add are not the upgrade's business.
    const upgraded = await snapshot();
    const oldColumns = Object.keys(before.tasks[0] as object);
    const asBefore = (row: object) =>
      Object.fromEntries(Object.entries(row).filter(([column]) => oldColumns.includes(column)));
    expect({ ...upgraded, tasks: upgraded.tasks.map((t) => asBefore(t as object)) }).toEqual(before);
    const partitions = await queryRows<{ name: string; n: number }>(
      db,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'batch_tasks'::regclass order by 1`,
    );
    expect(partitions.map((p) => p.name)).toEqual([
      'batch_tasks_default',
      'batch_tasks_p20260307',
      'batch_tasks_p20260308',
    ]);
    const inDefault = await queryOne<{ n: number }>(
      db,
      sql`select (select count(*) from batch_tasks_default)::int + (select count(*) from prompt_provider_responses_default)::int as n`,
    );
    expect(inDefault?.n).toBe(0);

    // Ids go on from where the old sequences were; a repair of the failed night lands in its partition.
    const lastId = Math.max(...before.tasks.map((t) => Number((t as { id: number }).id)));
    const at = new Date('2026-03-08T12:00:00Z');
    await enqueueUnits(db, {
      runDate: NIGHTS[1],
      source: 'repair',
      scope: 'missing',
      triggeredBy: 'U1',
      maxAttempts: 3,
      now: at,
    });
    await completeAllLive(db, NIGHTS[1], at);
    const repaired = await queryOne<{ first: number; n: number }>(
      db,
      sql`select min(id)::int as first, count(*)::int as n from batch_tasks_p20260308 where created_at = ${at.toISOString()}::timestamptz`,
    );
    expect(repaired?.n).toBeGreaterThan(0);
    expect(repaired?.first).toBeGreaterThan(lastId);
    const after = await measureCoverage(clockedDeps(db, now), { runDate: NIGHTS[1], now });
    // Every unit of the night now has its success, the repaired ones from the new partition's rows.
    expect(after.summary.reasons).not.toContain('provider_coverage_below_threshold');
    expect(after.promptCoverage.fullyCoveredPrompts).toBe(after.promptCoverage.expectedActivePrompts);
  });
});
