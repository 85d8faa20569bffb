import { type SQL, sql } from 'drizzle-orm';

/** The statuses of a live task: claimed or waiting to be. Everything else is final. */
export const LIVE_STATUSES = ['pending', 'processing'] as const;

/**
 * `<column> in ('pending', 'processing')` as literal SQL, never as bind parameters: the partial
 * indexes on live tasks (and `on conflict ... where`) are matched by the planner only against
 * the same literal predicate.
 */
export function isLive(column = 'status'): SQL {
  return sql.raw(`${column} in (${LIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`);
}
