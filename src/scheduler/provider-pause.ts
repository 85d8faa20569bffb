import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/**
 * Provider pauses live on the `providers` row so that every worker process sees them: a 429
 * pauses for its Retry-After, auth and quota errors for longer, with a reason the report shows.
 */

/** Pauses until `until` unless a longer pause is already in place (that one and its reason stay). */
export async function pauseProvider(
  db: Db,
  pause: { provider: string; until: Date; reason: string },
): Promise<void> {
  const until = pause.until.toISOString();
  await db.execute(
    sql`update providers
        set pause_reason = case when paused_until is null or paused_until < ${until}::timestamptz
                                then ${pause.reason} else pause_reason end,
            paused_until = greatest(paused_until, ${until}::timestamptz)
        where name = ${pause.provider}`,
  );
}

/** After a success: a pause that has run out no longer shows in the report. */
export async function clearExpiredPause(db: Db, provider: string, now: Date): Promise<void> {
  await db.execute(
    sql`update providers set paused_until = null, pause_reason = null
        where name = ${provider} and pause_reason is not null
          and (paused_until is null or paused_until <= ${now.toISOString()}::timestamptz)`,
  );
}
