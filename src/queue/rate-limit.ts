import { type SQL, sql } from 'drizzle-orm';

/**
 * Per-provider limits that hold across every worker process together (each worker takes its
 * share), enforced inside the claim statement (claim-tasks.ts):
 *
 * - max_concurrency: the provider's processing tasks with a live lease, counted through the
 *   partial index on processing tasks. While a pause that has run out still carries its reason,
 *   one task at a time (the probe).
 * - rpm, as pacing: calls of a provider start 60 / rpm seconds apart, never in bursts. The
 *   providers row keeps `next_call_at`, the database-clock instant from which the next call may
 *   start (a token bucket kept as one timestamp, the "generic cell rate algorithm"). A claim
 *   hands out the calls whose start falls within the next PACING_LOOKAHEAD_SECONDS, each with its
 *   own start time, and moves next_call_at past the last. The worker waits until each call's
 *   start before making it. So the calls of any one second never exceed rpm / 60 (plus one),
 *   however the claims fall, and a night still runs at the full rate as long as some worker
 *   claims at least once per lookahead.
 *
 * The providers rows a claim wants are locked (FOR UPDATE, in name order so two claims cannot
 * deadlock) for the length of the claim statement: claims of one provider are serialized. A
 * statement reads everything else in the snapshot it took when it started, before it waited for
 * the lock; a claim of the same provider that committed in between would be missing from its
 * count of processing tasks. Such a claim changed the row, so the row version the lock returns
 * differs from the one in the snapshot (`xmin`): the statement then hands out nothing for that
 * provider and says so (`contended`); claimTasks runs it again at once, in a new snapshot.
 * Pacing reads only the locked row, which is always the latest.
 */

/** How far ahead of the database clock a claim may schedule calls. */
export const PACING_LOOKAHEAD_SECONDS = 1;

/**
 * A call whose start is nearer than this starts at once: a timer that short is event-loop noise,
 * and at such rates a few milliseconds early is well within what providers allow.
 */
export const PACING_MIN_WAIT_MS = 5;

/** Seconds between two calls of a provider at `rpm` (a SQL expression over the column). */
export const callGap = (rpm: SQL) => sql`(60.0 / greatest(${rpm}, 1))::float8`;

/**
 * How many calls may start from `base` (the later of next_call_at and the clock), one every
 * `gap` seconds, without starting past the clock's lookahead.
 */
export const pacedCalls = (clock: SQL, base: SQL, gap: SQL) =>
  sql`case when ${base} > ${clock} + make_interval(secs => ${PACING_LOOKAHEAD_SECONDS}) then 0
           else floor(extract(epoch from (${clock} + make_interval(secs => ${PACING_LOOKAHEAD_SECONDS}) - ${base}))::float8
                      / ${gap})::int + 1
      end`;
