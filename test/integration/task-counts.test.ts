import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db, queryRows } from '../../src/db/client.ts';
import { PROVIDER_NAMES } from '../../src/provider-names.ts';
import { cancelProviderTasks } from '../../src/queue/cancel-tasks.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { completeTasks } from '../../src/queue/complete-task.ts';
import { expireLeases } from '../../src/queue/expire-leases.ts';
import { pruneNight } from '../../src/queue/prune-night.ts';
import { countDrift, readNightCounts } from '../../src/queue/task-counts.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends } from '../support/db.ts';
import { clockedDeps, DEMO_UNITS, nightFixture } from '../support/scheduler-deps.ts';

/**
 * task_counts is kept by statement triggers on batch_tasks: after every operation of the queue
 * (enqueue, claim, complete, fail, expire, cancel, prune) its sums are the tasks' own
 * `count(*) group by (run_date, org, provider, status)`, and the counts read say the same.
 */

const NIGHT = '2026-03-02';
const NEXT = '2026-03-03';
const T0 = new Date('2026-03-02T08:00:00Z');

type Key = { run_date: string; org_id: string; provider: string; status: string; n: number };

const counted = (db: Db) =>
  queryRows<Key>(
    db,
    sql`select run_date::text, org_id, provider, status, sum(tasks)::int as n from task_counts
        group by 1, 2, 3, 4 having sum(tasks) <> 0 order by 1, 2, 3, 4`,
  );
const actual = (db: Db) =>
  queryRows<Key>(
    db,
    sql`select run_date::text, org_id, provider, status, count(*)::int as n from batch_tasks
        group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
  );

async function expectCountsEqualTasks(db: Db) {
  expect(await counted(db)).toEqual(await actual(db));
  expect(await countDrift(db, [NIGHT, NEXT])).toEqual([]);
}

const statuses = async (db: Db, runDate: string) =>
  Object.fromEntries(
    (
      await queryRows<{ status: string; n: number }>(
        db,
        sql`select status, count(*)::int as n from batch_tasks where run_date = ${runDate}::date group by status`,
      )
    ).map((r) => [r.status, r.n]),
  );

describe.each(backends())('task counts on $name', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: NIGHT, at: T0 } });

  it('stay equal to the tasks across enqueue, claim, complete, fail, expire, cancel and prune', async () => {
    const db = night.db;
    await expectCountsEqualTasks(db);
    expect((await counted(db)).reduce((n, k) => n + k.n, 0)).toBe(DEMO_UNITS);

    // Claim: pending -> processing, in one statement over several providers.
    const providers = await claimableProviders(db, PROVIDER_NAMES);
    const claimed = (await claimTasks(db, { workerId: 'w1', providers, limit: 30, leaseSeconds: 60 })).tasks;
    expect(claimed.length).toBe(30);
    await expectCountsEqualTasks(db);

    // Complete and fail in one batch: processing -> completed | failed.
    const now = new Date();
    const done = await completeTasks(db, {
      workerId: 'w1',
      completions: claimed.slice(0, 20).map((t, i) => ({
        taskId: t.id,
        runDate: t.runDate,
        now,
        outcome:
          i % 4 === 0
            ? { status: 'error', model: 'm', errorClass: 'bad_request', message: 'no', latencyMs: 1 }
            : { status: 'success', model: 'm', text: 'an answer', tokensIn: 1, tokensOut: 1, latencyMs: 1 },
      })),
    });
    expect(done.filter(Boolean).length).toBe(20);
    await expectCountsEqualTasks(db);

    // Expire: the 10 still held lose their lease, back to pending.
    await db.execute(sql`update batch_tasks set lease_expires_at = now() - interval '1 minute'
                         where run_date = ${NIGHT}::date and status = 'processing'`);
    expect(await expireLeases(db)).toMatchObject({ requeued: 10 });
    await expectCountsEqualTasks(db);

    // Cancel: a provider taken out of service.
    await cancelProviderTasks(db, { provider: 'gemini', changedBy: 'test' });
    expect((await statuses(db, NIGHT)).cancelled).toBeGreaterThan(0);
    await expectCountsEqualTasks(db);

    // A second night enqueued beside it, then the first one pruned with its partition.
    await runTrigger(clockedDeps(db, `${NEXT}T08:00:00Z`), {
      runDate: NEXT,
      triggeredBy: 'scheduler',
      scheduled: true,
    });
    await expectCountsEqualTasks(db);
    await db.execute(sql`update batch_tasks set status = 'completed', completed_at = now()
                         where run_date = ${NIGHT}::date and status in ('pending', 'processing')`);
    await expectCountsEqualTasks(db);
    const pruned = await pruneNight(
      db,
      { runDate: NIGHT, queue: true, responses: false, tasks: DEMO_UNITS, jobs: 0, responseRows: 0 },
      new Date(),
    );
    expect(pruned.tasks).toBe(DEMO_UNITS);
    await expectCountsEqualTasks(db);
    expect((await counted(db)).every((k) => k.run_date === NEXT)).toBe(true);

    // A plain DELETE (an org deleted cascades to its tasks) and a TRUNCATE.
    await db.execute(sql`delete from organizations where id = (select org_id from batch_tasks limit 1)`);
    await expectCountsEqualTasks(db);
    await db.execute(sql`truncate batch_tasks`);
    await expectCountsEqualTasks(db);
  });

  it('stay equal across many statements, folded on the way', async () => {
    const db = night.db;
    // One statement per task: several hundred appended rows, so the fold runs more than once.
    const ids = await queryRows<{ id: number }>(
      db,
      sql`select id from batch_tasks where run_date = ${NIGHT}::date order by id`,
    );
    for (const [i, { id }] of ids.entries()) {
      const status = i % 3 === 0 ? 'failed' : 'completed';
      await db.execute(
        sql`update batch_tasks set status = 'processing', started_at = now() where id = ${id}`,
      );
      await db.execute(sql`update batch_tasks set status = ${status}, completed_at = now() where id = ${id}`);
    }
    await expectCountsEqualTasks(db);
    const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from task_counts`);
    // Folded: far fewer rows than the 2 x 118 statements appended (one per key and finish minute).
    expect(rows[0]?.n).toBeLessThan(2 * DEMO_UNITS);
  });

  it('read the night: sums per (org, provider, status), the first start and the recent finishes', async () => {
    const db = night.db;
    const min = (n: number) => new Date(T0.getTime() + n * 60_000);
    await db.execute(sql`update batch_tasks set status = 'completed', started_at = ${min(1).toISOString()}::timestamptz,
                           completed_at = ${min(2).toISOString()}::timestamptz
                         where id in (select id from batch_tasks where provider = 'openai' order by id limit 10)`);
    await db.execute(sql`update batch_tasks set status = 'failed', started_at = ${min(15).toISOString()}::timestamptz,
                           completed_at = ${min(17).toISOString()}::timestamptz
                         where id in (select id from batch_tasks where provider = 'perplexity' order by id limit 4)`);
    const counts = await readNightCounts(db, { runDate: NIGHT, since: min(15), until: min(20) });
    expect(new Date(counts.firstStart ?? 0).toISOString()).toBe(min(1).toISOString());
    expect(counts.finishedInWindow).toBe(4);
    const sum = (status: string) =>
      counts.rows.filter((r) => r.status === status).reduce((n, r) => n + r.tasks, 0);
    expect([sum('pending'), sum('completed'), sum('failed')]).toEqual([DEMO_UNITS - 14, 10, 4]);
  });
});
