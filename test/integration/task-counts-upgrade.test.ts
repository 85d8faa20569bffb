import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { enqueueUnits } from '../../src/queue/enqueue-units.ts';
import { countDrift } from '../../src/queue/task-counts.ts';
import { openMigratedBefore, upgradeBackends } from '../support/old-migrations.ts';
import { completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * 0018_task_counts backfills the nights already stored: right after the upgrade, every night's
 * counts are its tasks' `count(*) group by`, and the triggers keep them so from then on.
 */

const NIGHTS = ['2026-03-07', '2026-03-08'] as const;

describe.each(upgradeBackends)('upgrade to task counts ($name)', (backend) => {
  it('counts the nights already stored', { timeout: 120_000 }, async () => {
    const database = await openMigratedBefore(backend, '0018_task_counts');
    const { db } = database;

    await seedSmallDemo(db);
    for (const runDate of NIGHTS) {
      const at = new Date(`${runDate}T08:00:00Z`);
      await enqueueUnits(db, {
        runDate,
        source: 'nightly',
        scope: 'all',
        triggeredBy: 'scheduler',
        maxAttempts: 3,
        now: at,
      });
    }
    // The first night answered, the second half failed and half still pending.
    await completeAllLive(db, NIGHTS[0], new Date(`${NIGHTS[0]}T08:30:00Z`));
    await db.execute(sql`update batch_tasks set status = 'failed', completed_at = now()
                         where run_date = ${NIGHTS[1]}::date and provider in ('openai', 'gemini')`);

    await migrateDatabase(database);
    const counts = await queryRows<{ n: number }>(
      db,
      sql`select coalesce(sum(tasks), 0)::int as n from task_counts`,
    );
    const tasks = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from batch_tasks`);
    expect(counts[0]?.n).toBe(tasks[0]?.n);
    expect(tasks[0]?.n).toBeGreaterThan(0);
    expect(await countDrift(db, [...NIGHTS])).toEqual([]);

    // And kept from then on.
    await db.execute(
      sql`update batch_tasks set status = 'processing' where run_date = ${NIGHTS[1]}::date and status = 'pending'`,
    );
    expect(await countDrift(db, [...NIGHTS])).toEqual([]);
  });
});
