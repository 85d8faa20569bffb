import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';

/**
 * Per-provider limits that hold across every worker process together (DESIGN §7: "each worker
 * takes its share"). Claims of one provider are serialized by a transaction-scoped advisory
 * lock; inside it the claim counts the provider's live processing tasks (max_concurrency) and
 * the rows of provider_calls started in the last 60 s (rpm), and records one row per call it
 * hands out. One claim round locks every provider it wants at once: one short transaction
 * whatever the number of providers. Because the count and the insert happen under the same lock, the calls started in
 * any 60-second window never exceed rpm, however many processes claim.
 *
 * The window uses the database clock (clock_timestamp()), not each process's clock: several
 * machines with skewed clocks must still agree on what "the last 60 seconds" means. Leases and
 * available_at are read on it too (`now()`).
 *
 * A pause that has run out but whose reason is still on the row (no call has succeeded since)
 * lets one task through at a time, across every process: the probe. Read under the same lock,
 * so two workers cannot both think they are sending it.
 */

/** First key of the two-int advisory lock; the second is hashtext(provider). */
export const PROVIDER_LOCK_CLASS = 73_019;

export const RATE_WINDOW_SECONDS = 60;

/**
 * Serializes claims of these providers until the surrounding transaction ends. Locks are taken in
 * name order, so two claims wanting overlapping sets cannot deadlock.
 */
export async function lockProviderClaims(tx: Db, providers: readonly string[]): Promise<void> {
  const sorted = [...providers].sort();
  await tx.execute(
    sql`select pg_advisory_xact_lock(${PROVIDER_LOCK_CLASS}::int, hashtext(s.name))
        from (select value as name from jsonb_array_elements_text(${JSON.stringify(sorted)}::jsonb)
              order by value) s`,
  );
}

export interface ProviderLoad {
  name: string;
  /** Live processing tasks (lease not run out) across every worker. */
  processing: number;
  /** Calls started in the last RATE_WINDOW_SECONDS across every worker. */
  callsInWindow: number;
  /** Pending tasks available now, counted up to the claim's limit. */
  ready: number;
  /** The pause has run out but its reason is still on the row: one probe in flight at most. */
  probing: boolean;
}

/** The current load of each provider; read after lockProviderClaims so it sees every earlier claim. */
export async function providerLoads(
  tx: Db,
  providers: readonly string[],
  limit: number,
): Promise<ProviderLoad[]> {
  return queryRows<ProviderLoad>(
    tx,
    sql`select w.name,
          (select count(*)::int from batch_tasks t
            where t.provider = w.name and t.status = 'processing' and t.lease_expires_at > now()) as "processing",
          (select count(*)::int from provider_calls c
            where c.provider = w.name
              and c.started_at > clock_timestamp() - make_interval(secs => ${RATE_WINDOW_SECONDS})) as "callsInWindow",
          (select count(*)::int from (select 1 from batch_tasks t
            where t.provider = w.name and t.status = 'pending' and t.available_at <= now()
            limit ${limit}::int) r) as "ready",
          coalesce((select p.pause_reason is not null from providers p where p.name = w.name), false) as "probing"
        from (values ${sql.join(
          providers.map((name) => sql`(${name}::text)`),
          sql`, `,
        )}) as w(name)`,
  );
}

/**
 * How many tasks of one provider may be claimed now: what is ready, within both global limits;
 * while probing, one in flight at most.
 */
export function claimAllowance(
  load: Omit<ProviderLoad, 'name' | 'probing'> & { probing?: boolean },
  limits: { maxConcurrency: number; rpm: number },
): number {
  const concurrency = load.probing ? 1 : limits.maxConcurrency;
  return Math.max(0, Math.min(load.ready, concurrency - load.processing, limits.rpm - load.callsInWindow));
}

/**
 * Spreads `limit` claims over providers one at a time in the order given (the worker rotates
 * it), each up to its allowance: a busy provider does not starve the others of slots.
 */
export function allocateClaims(
  limit: number,
  allowances: { name: string; allowed: number }[],
): Map<string, number> {
  const allocation = new Map<string, number>();
  let left = limit;
  let progress = true;
  while (left > 0 && progress) {
    progress = false;
    for (const { name, allowed } of allowances) {
      const taken = allocation.get(name) ?? 0;
      if (left > 0 && taken < allowed) {
        allocation.set(name, taken + 1);
        left -= 1;
        progress = true;
      }
    }
  }
  return allocation;
}

/** Keeps provider_calls small: the limit only reads the last minute; an hour is kept for looking back. */
export async function pruneProviderCalls(db: Db): Promise<void> {
  await db.execute(sql`delete from provider_calls where started_at < clock_timestamp() - interval '1 hour'`);
}
