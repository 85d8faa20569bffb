import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/**
 * `night_pages`: who was called about a night, claimed before the call so several instances call
 * once. Every write to the table is in this file: the PagerDuty state (oncall-paging.ts) and the
 * SLACK_ONCALL mention (report/oncall-mention.ts).
 */

export type PagerState = 'triggered' | 'resolved';

/**
 * trigger: from no alert (or a resolved one) to triggered; resolve: from triggered to resolved.
 * One statement each; true when this call made the change and so owes the event.
 */
export async function claimPagerState(db: Db, params: { runDate: string; to: PagerState }): Promise<boolean> {
  const { runDate, to } = params;
  const row =
    to === 'triggered'
      ? await queryOne<{ one: number }>(
          db,
          sql`insert into night_pages (run_date, pager_state, pager_changed_at)
              values (${runDate}::date, 'triggered', now())
              on conflict (run_date) do update set pager_state = 'triggered', pager_changed_at = now()
                where night_pages.pager_state is distinct from 'triggered'
              returning 1 as one`,
        )
      : await queryOne<{ one: number }>(
          db,
          sql`update night_pages set pager_state = 'resolved', pager_changed_at = now()
              where run_date = ${runDate}::date and pager_state = 'triggered'
              returning 1 as one`,
        );
  return row !== undefined;
}

/** A send that failed hands its claim back: the next postcheck (trigger) or re-measure (resolve) tries again. */
export async function releasePagerState(
  db: Db,
  params: { runDate: string; claimed: PagerState },
): Promise<void> {
  const { runDate, claimed } = params;
  const previous = claimed === 'triggered' ? null : 'triggered';
  await db.execute(
    sql`update night_pages set pager_state = ${previous}
        where run_date = ${runDate}::date and pager_state = ${claimed}`,
  );
}

/** The on-call mention of a night: once, or again when its poster died `staleSeconds` ago without posting. */
export async function claimOncallMention(
  db: Db,
  params: { runDate: string; staleSeconds: number },
): Promise<boolean> {
  const { runDate, staleSeconds } = params;
  const claimed = await queryOne<{ one: number }>(
    db,
    sql`insert into night_pages (run_date, oncall_claimed_at) values (${runDate}::date, now())
        on conflict (run_date) do update set oncall_claimed_at = excluded.oncall_claimed_at
          where night_pages.oncall_claimed_at is null
             or (night_pages.oncall_ts is null
                 and night_pages.oncall_claimed_at < excluded.oncall_claimed_at - make_interval(secs => ${staleSeconds}))
        returning 1 as one`,
  );
  return claimed !== undefined;
}

export async function recordOncallMention(db: Db, params: { runDate: string; ts: string }): Promise<void> {
  const { runDate, ts } = params;
  await db.execute(sql`update night_pages set oncall_ts = ${ts} where run_date = ${runDate}::date`);
}

export async function releaseOncallMention(db: Db, runDate: string): Promise<void> {
  await db.execute(
    sql`update night_pages set oncall_claimed_at = null where run_date = ${runDate}::date and oncall_ts is null`,
  );
}
