import { param, sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';

/**
 * What history reads of the queue about whole nights: when each night's first task was made and
 * its last one ended (from its tasks, or from what retention kept of them in pruned_nights), the
 * first night with a job, and when retention pruned a night.
 */

export interface NightSpan {
  run_date: string;
  first_created: Date | string | null;
  last_completed: Date | string | null;
  /** When retention removed the night's tasks; null while they are kept. */
  pruned_at: Date | string | null;
}

export function nightSpans(db: Db, dates: string[]): Promise<NightSpan[]> {
  return queryRows<NightSpan>(
    db,
    sql`select run_date::text as run_date, min(created_at) as first_created, max(completed_at) as last_completed,
               null::timestamptz as pruned_at
        from batch_tasks
        where run_date = any(${param(dates)}::date[])
        group by run_date
        union all
        -- Nights retention pruned: what their tasks said, kept when they went.
        select run_date::text, first_created, last_completed, queue_pruned_at
        from pruned_nights
        where run_date = any(${param(dates)}::date[])`,
  );
}

/** The first night with a job (YYYY-MM-DD), if any. */
export async function earliestJobNight(db: Db): Promise<string | undefined> {
  const row = await queryOne<{ earliest: string | null }>(
    db,
    sql`select min(run_date)::text as earliest from batch_jobs`,
  );
  return row?.earliest ?? undefined;
}

/** When retention removed the night's queue rows (prune-night.ts), if it did. */
export async function nightPrunedAt(db: Db, runDate: string): Promise<Date | undefined> {
  const row = await queryOne<{ at: Date | string }>(
    db,
    sql`select queue_pruned_at as at from pruned_nights where run_date = ${runDate}::date`,
  );
  return row ? new Date(row.at) : undefined;
}
