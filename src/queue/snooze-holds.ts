import { type SQL, sql } from 'drizzle-orm';

/**
 * The snoozes as the queue's statements read them (snoozes.ts of src/scheduler keeps every other
 * statement on the table). A provider-wide snooze with a fixed end is a maintenance window: the
 * claim statement gives that provider no calls (maintenanceHold), so its tasks wait instead of
 * failing. An until-success snooze never holds calls: it would never see the success that ends
 * it, which the statement storing results writes (endedBySuccess).
 */

/** In force at `at` (an SQL instant), for a snooze read as `s`. */
export const inForce = (at: SQL) =>
  sql`s.ended_at is null and s.starts_at <= ${at} and (s.ends_at is null or s.ends_at > ${at})`;

/**
 * For the units of an enqueue (`u.org_id`, `u.provider`): true when a snooze in force at `at`
 * holds the unit. Repair leaves those out.
 */
export const snoozedUnit = (orgId: SQL, provider: SQL, at: SQL) =>
  sql`exists (select 1 from snoozes s
              where ${inForce(at)}
                and (s.provider is null or s.provider = ${provider})
                and (s.org_id is null or s.org_id = ${orgId}))`;

/** For the claim statement: true while `provider` is inside a maintenance window (database clock). */
export const maintenanceHold = (provider: SQL) =>
  sql`exists (select 1 from snoozes s
              where ${inForce(sql`now()`)} and s.scope = 'provider' and not s.until_success
                and s.provider = ${provider})`;

/**
 * A data-modifying CTE for the statement that stores results: ends every until-success snooze in
 * force whose scope has a success among `stored` (a relation with org_id, provider, ok). Riding in
 * that statement, the snooze ends exactly when the success commits, at no extra round trip.
 */
export const endedBySuccess = (stored: SQL) =>
  sql`update snoozes s set ended_at = now(), ended_by = 'success'
      where s.until_success and ${inForce(sql`now()`)}
        and exists (select 1 from ${stored} r
                    where r.ok and (s.provider is null or s.provider = r.provider)
                      and (s.org_id is null or s.org_id = r.org_id))`;
