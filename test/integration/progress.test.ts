import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { measureProgress } from '../../src/scheduler/progress.ts';
import { backends } from '../support/db.ts';
import { DEMO_UNITS, nightFixture } from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');
const min = (n: number) => new Date(T0.getTime() + n * 60_000).toISOString();

describe.each(backends())('live progress on $name', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: RUN_DATE, at: T0 } });

  it('before any worker: everything pending, no rate, no estimate', async () => {
    const progress = await measureProgress(night.db, { runDate: RUN_DATE, now: new Date(min(1)) });
    expect(progress).toMatchObject({ total: DEMO_UNITS, done: 0, pending: DEMO_UNITS, live: DEMO_UNITS });
    expect(progress).toMatchObject({ startedAt: null, ratePerMinute: 0, estimatedFinish: null });
    expect(progress.byProvider.map((p) => [p.provider, p.total])).toEqual([
      ['anthropic', 17],
      ['gemini', 17],
      ['openai', 42],
      ['perplexity', 42],
    ]);
    expect(progress.byOrg).toHaveLength(5);
  });

  it('counts done per org and provider, rates the last five minutes and estimates the finish', async () => {
    const db = night.db;
    // 40 openai tasks finished long ago (minute 2), 20 perplexity in the last five minutes, 3 running.
    await db.execute(sql`update batch_tasks set status = 'completed', started_at = ${min(1)}::timestamptz,
                           completed_at = ${min(2)}::timestamptz
                         where id in (select id from batch_tasks where provider = 'openai' order by id limit 40)`);
    await db.execute(sql`update batch_tasks set status = 'failed', started_at = ${min(14)}::timestamptz,
                           completed_at = ${min(17)}::timestamptz
                         where id in (select id from batch_tasks where provider = 'perplexity' order by id limit 5)`);
    await db.execute(sql`update batch_tasks set status = 'completed', started_at = ${min(14)}::timestamptz,
                           completed_at = ${min(18)}::timestamptz
                         where id in (select id from batch_tasks where provider = 'perplexity' and status = 'pending'
                                      order by id limit 15)`);
    await db.execute(sql`update batch_tasks set status = 'processing', started_at = ${min(19)}::timestamptz
                         where id in (select id from batch_tasks where provider = 'gemini' order by id limit 3)`);

    const now = new Date(min(20));
    const progress = await measureProgress(db, { runDate: RUN_DATE, now });
    expect(progress).toMatchObject({ total: DEMO_UNITS, done: 60, completed: 55, failed: 5, processing: 3 });
    expect(progress.live).toBe(DEMO_UNITS - 60);
    expect(progress.startedAt?.toISOString()).toBe(min(1));
    expect(progress).toMatchObject({ finishedInWindow: 20, windowMinutes: 5, ratePerMinute: 4 });
    // 58 live tasks at 4 per minute: 14.5 minutes from now.
    expect(progress.estimatedFinish?.toISOString()).toBe(
      new Date(now.getTime() + 14.5 * 60_000).toISOString(),
    );
    const perplexity = progress.byProvider.find((p) => p.provider === 'perplexity');
    expect(perplexity).toMatchObject({ total: 42, done: 20, completed: 15, failed: 5, pending: 22 });
    const orgDone = progress.byOrg.reduce((n, o) => n + o.done, 0);
    expect(orgDone).toBe(60);
    // Most work left first.
    const left = progress.byOrg.map((o) => o.total - o.done);
    expect([...left].sort((a, b) => b - a)).toEqual(left);
  });
});
