import { param, sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import type { ProviderName } from '../providers/types.ts';

/**
 * What a draining worker still waits for, for any run_date. Pending tasks whose available_at
 * lies ahead (backoff, Retry-After) are live: the drain waits for them, and so it does for a
 * paused provider's tasks (a pause ends, then a probe tells whether the provider is back).
 * Tasks this worker can never run are not live: providers it has no adapter for or that are
 * disabled; nor, with `skipPaused`, those of a provider paused for auth or quota (that pause
 * needs a person; a rate-limit pause is at most minutes and is always waited for).
 * Times are the database's (`now()`), like the leases and pauses they are compared with.
 */

export interface LiveTasks {
  /** Tasks the drain waits for. */
  live: number;
  /** Processing tasks whose lease ran out: their worker died; any worker or the reconciler requeues them. */
  expiredLeases: number;
  /** Pending tasks this worker leaves alone (no adapter, disabled, or skipped pause). */
  parked: number;
}

export interface LiveTaskQuery {
  /** Providers this worker has adapters for. */
  providers: readonly ProviderName[];
  /** Leave the tasks of a provider paused for auth or quota to a person instead of waiting. */
  skipPaused?: boolean;
}

/** Why a provider's pending tasks are left: what `sched worker --drain` says it leaves behind. */
export interface ParkedTasks {
  provider: string;
  tasks: number;
  why: 'no adapter' | 'disabled' | 'paused';
  pausedUntil: Date | null;
  pauseReason: string | null;
}

// pause_reason reads "<error class>: <message>" (retry-policy.ts pauseReason).
const runnable = (query: LiveTaskQuery) =>
  sql`(p.enabled
      and t.provider = any(${param([...query.providers])}::text[])
      and not (${Boolean(query.skipPaused)}::boolean
               and coalesce(p.paused_until > now() and p.pause_reason ~ '^(auth|quota):', false)))`;

export async function countLiveTasks(db: Db, query: LiveTaskQuery): Promise<LiveTasks> {
  const ok = runnable(query);
  const row = await queryOne<LiveTasks>(
    db,
    sql`select
          count(*) filter (where t.status = 'processing' or coalesce(${ok}, false))::int as "live",
          count(*) filter (where t.status = 'processing' and t.lease_expires_at <= now())::int as "expiredLeases",
          count(*) filter (where t.status = 'pending' and not coalesce(${ok}, false))::int as "parked"
        from batch_tasks t
        left join providers p on p.name = t.provider
        where ${isLive('t.status')}`,
  );
  return row ?? { live: 0, expiredLeases: 0, parked: 0 };
}

/** The pending tasks `countLiveTasks` counts as parked, per provider, with the reason. */
export async function parkedTasks(db: Db, query: LiveTaskQuery): Promise<ParkedTasks[]> {
  const rows = await queryRows<{
    provider: string;
    tasks: number;
    adapter: boolean;
    enabled: boolean | null;
    paused_until: string | Date | null;
    pause_reason: string | null;
  }>(
    db,
    sql`select t.provider, count(*)::int as tasks,
               t.provider = any(${param([...query.providers])}::text[]) as adapter,
               p.enabled, p.paused_until, p.pause_reason
        from batch_tasks t
        left join providers p on p.name = t.provider
        where t.status = 'pending' and not coalesce(${runnable(query)}, false)
        group by t.provider, p.enabled, p.paused_until, p.pause_reason
        order by t.provider`,
  );
  return rows.map((r) => ({
    provider: r.provider,
    tasks: r.tasks,
    why: !r.adapter ? 'no adapter' : !r.enabled ? 'disabled' : 'paused',
    pausedUntil: r.paused_until === null ? null : new Date(r.paused_until),
    pauseReason: r.pause_reason,
  }));
}

/** Whether any task of the night is still live (pending or processing). */
export async function nightHasLiveTasks(db: Db, runDate: string): Promise<boolean> {
  const row = await queryOne<{ live: boolean }>(
    db,
    sql`select exists (select 1 from batch_tasks where run_date = ${runDate}::date and ${isLive()}) as live`,
  );
  return Boolean(row?.live);
}

/** Where the tasks of some jobs of a night stand: a repair's own, not the whole night's. */
export async function jobTaskCounts(
  db: Db,
  runDate: string,
  jobIds: string[],
): Promise<{ live: number; done: number; failed: number }> {
  if (jobIds.length === 0) return { live: 0, done: 0, failed: 0 };
  const row = await queryOne<{ live: number; done: number; failed: number }>(
    db,
    sql`select count(*) filter (where ${isLive()})::int as live,
               count(*) filter (where status in ('completed', 'failed', 'cancelled'))::int as done,
               count(*) filter (where status = 'failed')::int as failed
        from batch_tasks
        where run_date = ${runDate}::date and batch_job_id = any(${param(jobIds)}::uuid[])`,
  );
  return row ?? { live: 0, done: 0, failed: 0 };
}
