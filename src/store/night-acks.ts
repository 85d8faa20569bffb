import { param, sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';

/**
 * `night_acks`: the missed nights a person acknowledged (`sched ack D`, or the Acknowledge button),
 * with who and when. Every read and write of the table is in this file.
 */

export interface NightAck {
  runDate: string;
  ackedBy: string;
  ackedAt: string;
  /** false when it had already been acknowledged (by `ackedBy`). */
  created: boolean;
}

/** Acknowledges a missed night; a second acknowledgement keeps the first one's who and when. */
export async function acknowledgeNight(db: Db, params: { runDate: string; by: string }): Promise<NightAck> {
  const row = await queryOne<{ acked_by: string; acked_at: string | Date; created: boolean }>(
    db,
    sql`with added as (
          insert into night_acks (run_date, acked_by) values (${params.runDate}::date, ${params.by})
          on conflict (run_date) do nothing
          returning acked_by, acked_at)
        select acked_by, acked_at, true as created from added
        union all
        select acked_by, acked_at, false from night_acks
        where run_date = ${params.runDate}::date and not exists (select 1 from added)`,
  );
  if (!row) throw new Error(`acknowledging ${params.runDate} recorded nothing`);
  return {
    runDate: params.runDate,
    ackedBy: row.acked_by,
    ackedAt: new Date(row.acked_at).toISOString(),
    created: row.created,
  };
}

/** Which of `runDates` (YYYY-MM-DD) were acknowledged. */
export async function acknowledgedNights(db: Db, runDates: string[]): Promise<Set<string>> {
  const rows = await queryRows<{ run_date: string }>(
    db,
    sql`select run_date::text as run_date from night_acks where run_date = any(${param(runDates)}::date[])`,
  );
  return new Set(rows.map((r) => r.run_date));
}
