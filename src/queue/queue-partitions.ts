import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { addDays } from '../time/business-day.ts';

/**
 * batch_tasks and prompt_provider_responses hold one partition per night (0015_queue_partitions).
 * They are made ahead, a night and the next, by the trigger and at start-up, so a night's rows
 * never wait on a partition being made. A night nobody made one for lands in the DEFAULT
 * partition, and queue_ensure_partition moves those rows into the night's own when it makes it.
 */

/** Nights made ahead from a night on: that night and the next. */
export const NIGHTS_AHEAD = 2;

/** Makes the partitions of `nights` nights from `first` on; returns how many it made. */
export async function ensureQueuePartitions(db: Db, first: string, nights = NIGHTS_AHEAD): Promise<number> {
  const last = addDays(first, nights - 1);
  // One order (night, then table) for every caller: two processes cannot wait on each other.
  const row = await queryOne<{ made: number }>(
    db,
    sql`select count(*) filter (where made)::int as made from (
          select queue_ensure_partition(t.name, d::date) as made
          from generate_series(${first}::date, ${last}::date, interval '1 day') d
          cross join unnest(array['batch_tasks', 'prompt_provider_responses']) with ordinality t(name, ord)
          order by d, t.ord) m`,
  );
  return row?.made ?? 0;
}

/** A night's partition of a queue table, as named by queue_ensure_partition. */
export function partitionName(table: 'batch_tasks' | 'prompt_provider_responses', runDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) throw new Error(`not a run_date: ${runDate}`);
  return `${table}_p${runDate.replaceAll('-', '')}`;
}
