import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { reconcile, runReconciler } from '../../src/scheduler/reconciler.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  completeAllLive,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  nightFixture,
  taskCounts,
} from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/**
 * Plays a worker claim: the first `count` pending tasks of a provider, leased for `leaseSeconds`
 * from the database clock (negative: a lease that ran out that long ago).
 */
async function claim(db: Db, provider: string, count: number, attempts: number, leaseSeconds: number) {
  const rows = await queryRows<{ id: number; batch_job_id: string }>(
    db,
    sql`update batch_tasks set status = 'processing', attempts = ${attempts}, locked_by = 'worker-a',
               started_at = ${T0.toISOString()}::timestamptz,
               lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
        where id in (select id from batch_tasks where status = 'pending' and provider = ${provider}
                     order by id limit ${count})
        returning id, batch_job_id`,
  );
  return rows;
}

async function task(db: Db, id: number) {
  return queryOne<{
    status: string;
    available_at: Date;
    locked_by: string | null;
    lease_expires_at: Date | null;
    error_class: string | null;
    last_error: string | null;
    completed_at: Date | null;
  }>(db, sql`select * from batch_tasks where id = ${id}`);
}

describe.each(backends())('reconciler on $name', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: RUN_DATE, at: T0 } });

  it('requeues an expired lease, fails one out of attempts, leaves a live lease alone', async () => {
    const db = night.db;
    const [requeue] = await claim(db, 'openai', 1, 1, -60);
    const [exhausted] = await claim(db, 'gemini', 1, 3, -60);
    const [live] = await claim(db, 'anthropic', 1, 1, 1800);
    if (!requeue || !exhausted || !live) throw new Error('claim failed');

    const result = await reconcile(db, minutes(5));
    expect(result).toMatchObject({ requeued: 1, failed: 1 });

    const back = await task(db, requeue.id);
    expect(back).toMatchObject({
      status: 'pending',
      locked_by: null,
      lease_expires_at: null,
      error_class: 'timeout',
    });
    // Leases are the database clock's, not the caller's (minutes(5) is long past): so is the requeue.
    const dbNow = (await queryOne<{ now: Date }>(db, sql`select now() as now`))?.now as Date;
    const near = (at: Date | null | undefined) =>
      Math.abs(new Date(at as Date).getTime() - new Date(dbNow).getTime());
    expect(near(back?.available_at)).toBeLessThan(60_000);
    expect(back?.last_error).toMatch(/lease expired.*worker-a.*attempt 1 of 3.*requeued/);

    const dead = await task(db, exhausted.id);
    expect(dead).toMatchObject({ status: 'failed', error_class: 'timeout', locked_by: null });
    expect(dead?.last_error).toMatch(/attempt 3 of 3, no attempt left/);
    expect(near(dead?.completed_at)).toBeLessThan(60_000);
    const job = await queryOne<{ failed_tasks: number }>(
      db,
      sql`select failed_tasks from batch_jobs where id = ${exhausted.batch_job_id}::uuid`,
    );
    expect(job?.failed_tasks).toBe(1);

    expect(await task(db, live.id)).toMatchObject({ status: 'processing', locked_by: 'worker-a' });
  });

  it('marks started jobs processing, then closes finished jobs with counts recomputed from their tasks', async () => {
    const db = night.db;
    await claim(db, 'openai', 3, 1, 1800);
    const first = await reconcile(db, minutes(1));
    const startedJobs = await queryOne<{ n: number }>(
      db,
      sql`select count(distinct batch_job_id)::int as n from batch_tasks where status = 'processing'`,
    );
    expect(first).toMatchObject({ requeued: 0, failed: 0, jobsStarted: startedJobs?.n, jobsCompleted: 0 });
    const processing = await queryRows<{ started_at: Date | null }>(
      db,
      sql`select started_at from batch_jobs where status = 'processing'`,
    );
    expect(processing).toHaveLength(startedJobs?.n ?? -1);
    for (const j of processing) expect(new Date(j.started_at as Date).toISOString()).toBe(T0.toISOString());

    // Every task answered except gemini, which fails for good; counters were never maintained.
    await completeAllLive(db, RUN_DATE, minutes(20), { provider: 'gemini' });
    await db.execute(sql`update batch_tasks set status = 'failed', error_class = 'server', attempts = 3,
                           completed_at = ${minutes(21).toISOString()}::timestamptz
                         where run_date = ${RUN_DATE}::date and provider = 'gemini'`);
    const second = await reconcile(db, minutes(25));
    expect(second).toMatchObject({ requeued: 0, failed: 0, jobsCompleted: DEMO_ORGS_WITH_WORK });

    const jobs = await queryRows<{
      status: string;
      total_tasks: number;
      completed_tasks: number;
      failed_tasks: number;
      real_completed: number;
      real_failed: number;
      real_total: number;
      started_at: Date | null;
      completed_at: Date | null;
    }>(
      db,
      sql`select j.status, j.total_tasks, j.completed_tasks, j.failed_tasks, j.started_at, j.completed_at,
                 (select count(*)::int from batch_tasks t where t.batch_job_id = j.id) as real_total,
                 (select count(*)::int from batch_tasks t where t.batch_job_id = j.id and t.status = 'completed') as real_completed,
                 (select count(*)::int from batch_tasks t where t.batch_job_id = j.id and t.status = 'failed') as real_failed
          from batch_jobs j`,
    );
    expect(jobs).toHaveLength(DEMO_ORGS_WITH_WORK);
    for (const j of jobs) {
      expect(j.status).toBe('completed');
      expect([j.total_tasks, j.completed_tasks, j.failed_tasks]).toEqual([
        j.real_total,
        j.real_completed,
        j.real_failed,
      ]);
      expect(j.started_at).not.toBeNull();
      expect(j.completed_at).not.toBeNull();
    }
    const failedTotal = jobs.reduce((n, j) => n + j.failed_tasks, 0);
    expect(failedTotal).toBe(17); // gemini units: the 17 prompts of growth, pro and enterprise orgs
    expect(jobs.reduce((n, j) => n + j.completed_tasks, 0)).toBe(DEMO_UNITS - 17);

    expect(await reconcile(db, minutes(30))).toEqual({
      requeued: 0,
      failed: 0,
      jobsStarted: 0,
      jobsCompleted: 0,
      jobsCancelled: 0,
      cancelled: 0,
    });
  });

  it('five reconcilers at once change each expired task and job exactly once', async () => {
    const db = night.db;
    const exhausted = await claim(db, 'perplexity', 10, 3, -60);
    await claim(db, 'openai', 12, 1, -60);
    const deps = clockedDeps(db, minutes(10));
    const results = await Promise.all(Array.from({ length: 5 }, () => runReconciler(deps)));
    expect(results.reduce((n, r) => n + r.requeued, 0)).toBe(12);
    expect(results.reduce((n, r) => n + r.failed, 0)).toBe(10);
    const jobIds = [...new Set(exhausted.map((t) => t.batch_job_id))];
    const failedCounters = await queryOne<{ n: number }>(
      db,
      sql`select sum(failed_tasks)::int as n from batch_jobs
          where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(jobIds)}::jsonb))`,
    );
    expect(failedCounters?.n).toBe(10);
    expect(await taskCounts(db, RUN_DATE)).toMatchObject({
      processing: 0,
      failed: 10,
      pending: DEMO_UNITS - 10,
    });
    const runs = await queryRows<{ status: string; result: { requeued: number } }>(
      db,
      sql`select status, result from scheduler_runs where function_name = 'batch-reconciler'`,
    );
    expect(runs).toHaveLength(5);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    expect(runs.reduce((n, r) => n + r.result.requeued, 0)).toBe(12);
  });
});
