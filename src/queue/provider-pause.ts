import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { announceTasksAt } from './wake-up.ts';

/**
 * Provider pauses live on the `providers` row so that every worker process sees them: a 429
 * pauses for its Retry-After, auth and quota errors for longer, with a reason the report shows.
 * A pause is a duration from the database clock (`now()`), the clock claims compare it with,
 * so a worker whose clock is off neither shortens nor stretches it for the others. The pause's
 * end is announced (wake-up.ts): a worker sleeping meanwhile wakes when its tasks are claimable.
 */

/** Pauses for `ms` unless a longer pause is already in place (that one and its reason stay). */
export async function pauseProvider(
  db: Db,
  pause: { provider: string; ms: number; reason: string },
): Promise<void> {
  const until = sql`(now() + make_interval(secs => ${Math.max(0, pause.ms) / 1000}))`;
  await db.execute(
    sql`update providers
        set pause_reason = case when paused_until is null or paused_until < ${until}
                                then ${pause.reason} else pause_reason end,
            paused_until = greatest(paused_until, ${until})
        where name = ${pause.provider}
        returning ${announceTasksAt(sql`paused_until`)}`,
  );
}

/** After a success: a pause that has run out no longer shows in the report, and the probe is over. */
export async function clearExpiredPause(db: Db, provider: string): Promise<void> {
  await db.execute(
    sql`update providers set paused_until = null, pause_reason = null
        where name = ${provider} and pause_reason is not null
          and (paused_until is null or paused_until <= now())`,
  );
}
