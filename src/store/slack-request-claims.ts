import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/**
 * The claims of mutating Slack requests (slack_request_claims): one row per request identity,
 * taken in one INSERT ... ON CONFLICT DO NOTHING, so of twenty copies arriving at once on any
 * number of instances exactly one gets `true`.
 */

export type SlackRequestKind = 'command' | 'action' | 'view';

/** true when this call took the claim; false when the request was claimed before. */
export async function claimSlackRequest(
  db: Db,
  params: { identity: string; kind: SlackRequestKind; userId: string; now: Date },
): Promise<boolean> {
  const { identity, kind, userId, now } = params;
  const row = await queryOne<{ identity: string }>(
    db,
    sql`insert into slack_request_claims (identity, kind, user_id, claimed_at)
        values (${identity}, ${kind}, ${userId}, ${now.toISOString()}::timestamptz)
        on conflict (identity) do nothing
        returning identity`,
  );
  return row !== undefined;
}

/** How long a claim is kept: far past Slack's five minutes, after which a copy is refused anyway. */
export const SLACK_CLAIM_KEEP_HOURS = 24;

/** Deletes the claims older than SLACK_CLAIM_KEEP_HOURS before `now`; returns how many. */
export async function pruneSlackRequestClaims(db: Db, now: Date): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`with gone as (
          delete from slack_request_claims
          where claimed_at < ${now.toISOString()}::timestamptz - make_interval(hours => ${SLACK_CLAIM_KEEP_HOURS})
          returning 1)
        select count(*)::int as n from gone`,
  );
  return row?.n ?? 0;
}
