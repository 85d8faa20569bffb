import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';

/**
 * What a draining worker still waits for, for any run_date. Pending tasks whose available_at
 * lies ahead (backoff, Retry-After) are live: the drain waits for them. Tasks this worker can
 * never run are not: providers it has no adapter for or that are disabled, and providers paused
 * for auth or quota (that pause does not end by itself; the report shows it).
 */

export interface LiveTasks {
  /** Tasks the drain waits for. */
  live: number;
  /** Processing tasks whose lease ran out: their worker died; the reconciler requeues them. */
  expiredLeases: number;
  /** Pending tasks this worker leaves alone (no adapter, disabled, or credential pause). */
  parked: number;
}

export async function countLiveTasks(
  db: Db,
  params: { providers: readonly ProviderName[]; now: Date },
): Promise<LiveTasks> {
  const now = sql`${params.now.toISOString()}::timestamptz`;
  // pause_reason reads "<error class>: <message>" (retry-policy.ts pauseReason).
  const runnable = sql`(p.enabled
      and t.provider in (select jsonb_array_elements_text(${JSON.stringify(params.providers)}::jsonb))
      and not coalesce(p.paused_until > ${now} and p.pause_reason ~ '^(auth|quota):', false))`;
  const row = await queryOne<LiveTasks>(
    db,
    sql`select
          count(*) filter (where t.status = 'processing' or coalesce(${runnable}, false))::int as "live",
          count(*) filter (where t.status = 'processing' and t.lease_expires_at <= ${now})::int as "expiredLeases",
          count(*) filter (where t.status = 'pending' and not coalesce(${runnable}, false))::int as "parked"
        from batch_tasks t
        left join providers p on p.name = t.provider
        where t.status in ('pending', 'processing')`,
  );
  return row ?? { live: 0, expiredLeases: 0, parked: 0 };
}
