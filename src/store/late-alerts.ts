import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';

/**
 * `late_alerts`: one row per night and late step (or `missed` for a night that never ran),
 * claimed by its INSERT before the alert is posted, so several instances noticing at once post it
 * once. Every statement on the table is in this file; the watch is scheduler/late-step-watch.ts.
 */

export interface LateAlertKey {
  runDate: string;
  step: string;
}

/** true when this call took the claim, and so posts the alert. */
export async function claimLateAlert(db: Db, key: LateAlertKey): Promise<boolean> {
  const rows = await queryRows<{ step: string }>(
    db,
    sql`insert into late_alerts (run_date, step) values (${key.runDate}::date, ${key.step})
        on conflict do nothing returning step`,
  );
  return rows.length === 1;
}

/** A post that failed hands its claim back: the next look tries again. */
export async function releaseLateAlert(db: Db, key: LateAlertKey): Promise<void> {
  await db.execute(sql`delete from late_alerts where run_date = ${key.runDate}::date and step = ${key.step}`);
}

/** Where the alert was posted (null when the reporter did not say). */
export async function recordLateAlertPosted(
  db: Db,
  params: LateAlertKey & { where: { channel: string; ts: string } | undefined },
): Promise<void> {
  const { runDate, step, where } = params;
  await db.execute(
    sql`update late_alerts set channel = ${where?.channel ?? null}, ts = ${where?.ts ?? null}
        where run_date = ${runDate}::date and step = ${step}`,
  );
}
