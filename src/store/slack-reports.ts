import { sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';

/**
 * `slack_reports`: the morning report's message of each (run_date, channel). A first post is
 * claimed here (a row with ts null) before chat.postMessage, so several postchecks post once; edits
 * of a night are coalesced across processes through refresh_requested_at and edited_at. Every read
 * and write of the table is in this file; the Slack calls are in report/report-poster.ts.
 */

export interface ReportTarget {
  channel: string;
  ts: string;
}

export type ReportClaim = { kind: 'claimed' } | { kind: 'recorded'; ts: string } | { kind: 'pending' };

/** One statement takes the first post of (run_date, channel), or a stale claim; else reads the row. */
export async function claimReportPost(
  db: Db,
  params: { runDate: string; channel: string; staleSeconds: number },
): Promise<ReportClaim> {
  const { runDate, channel, staleSeconds } = params;
  const claimed = await queryOne<{ one: number }>(
    db,
    sql`insert into slack_reports (run_date, channel, ts, claimed_at)
        values (${runDate}::date, ${channel}, null, now())
        on conflict (run_date, channel) do update set claimed_at = excluded.claimed_at
          where slack_reports.ts is null
            and slack_reports.claimed_at < excluded.claimed_at - make_interval(secs => ${staleSeconds})
        returning 1 as one`,
  );
  if (claimed) return { kind: 'claimed' };
  const row = await queryOne<{ ts: string | null }>(
    db,
    sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${channel}`,
  );
  if (row === undefined) return claimReportPost(db, params);
  return row.ts === null ? { kind: 'pending' } : { kind: 'recorded', ts: row.ts };
}

/** A post that failed hands its claim back, so the next postcheck posts. */
export async function releaseReportClaim(
  db: Db,
  params: { runDate: string; channel: string },
): Promise<void> {
  const { runDate, channel } = params;
  await db.execute(
    sql`delete from slack_reports
        where run_date = ${runDate}::date and channel = ${channel} and ts is null`,
  );
}

/**
 * Records the ts of a claimed post. `owed`: the night changed while the post was in flight (a
 * refresh was requested), so the caller edits it once more.
 */
export async function recordClaimedPost(
  db: Db,
  params: { runDate: string; channel: string; ts: string; now: Date },
): Promise<{ owed: boolean } | undefined> {
  const { runDate, channel, ts } = params;
  const now = params.now.toISOString();
  return queryOne<{ owed: boolean }>(
    db,
    sql`update slack_reports
        set ts = ${ts}, claimed_at = null, posted_at = ${now}::timestamptz, updated_at = ${now}::timestamptz,
            edited_at = now()
        where run_date = ${runDate}::date and channel = ${channel}
        returning refresh_requested_at is not null as owed`,
  );
}

/** Claims the re-post of a message that is gone; false when another postcheck already did. */
export async function reclaimGoneReport(
  db: Db,
  params: { runDate: string; channel: string; ts: string },
): Promise<boolean> {
  const { runDate, channel, ts } = params;
  const row = await queryOne<{ one: number }>(
    db,
    sql`update slack_reports set ts = null, claimed_at = now()
        where run_date = ${runDate}::date and channel = ${channel} and ts = ${ts}
        returning 1 as one`,
  );
  return row !== undefined;
}

/** Stamps a message just edited in Slack (the refresh interval counts from here). */
export async function markReportEdited(db: Db, target: ReportTarget): Promise<void> {
  await db.execute(
    sql`update slack_reports set edited_at = now() where channel = ${target.channel} and ts = ${target.ts}`,
  );
}

/** Records (run_date, channel, ts) after an edit, keeping posted_at while the message is the same. */
export async function recordReport(
  db: Db,
  params: ReportTarget & { runDate: string; now: Date },
): Promise<void> {
  const { runDate, channel, ts } = params;
  const now = params.now.toISOString();
  await db.execute(
    sql`insert into slack_reports (run_date, channel, ts, posted_at, updated_at)
        values (${runDate}::date, ${channel}, ${ts}, ${now}::timestamptz, ${now}::timestamptz)
        on conflict (run_date, channel) do update
          set ts = excluded.ts, updated_at = excluded.updated_at, claimed_at = null, edited_at = now(),
              posted_at = case when slack_reports.ts = excluded.ts then slack_reports.posted_at else excluded.posted_at end`,
  );
}

export async function recordedReport(
  db: Db,
  params: { runDate: string; channel: string },
): Promise<ReportTarget | undefined> {
  const { runDate, channel } = params;
  return queryOne<ReportTarget>(
    db,
    sql`select channel, ts from slack_reports where run_date = ${runDate}::date and channel = ${channel}`,
  );
}

export async function recordedReports(db: Db, runDate: string): Promise<ReportTarget[]> {
  return queryRows<ReportTarget>(
    db,
    sql`select channel, ts from slack_reports
        where run_date = ${runDate}::date and ts is not null order by posted_at, channel`,
  );
}

/** ts of the newest report posted to `channel`, whatever its night: where snooze notices go. */
export async function latestReportThread(db: Db, channel: string): Promise<string | undefined> {
  const row = await queryOne<{ ts: string }>(
    db,
    sql`select ts from slack_reports where channel = ${channel} and ts is not null
        order by run_date desc limit 1`,
  );
  return row?.ts;
}

/** Marks every message of the night as owing an edit (kept when one is already owed). */
export async function requestReportRefresh(db: Db, runDate: string): Promise<void> {
  await db.execute(
    sql`update slack_reports set refresh_requested_at = coalesce(refresh_requested_at, now())
        where run_date = ${runDate}::date`,
  );
}

/**
 * Claims, in one UPDATE, the night's messages that owe an edit and were last edited at least
 * `seconds` ago: the caller edits the ones returned.
 */
export async function claimDueReportEdits(
  db: Db,
  params: { runDate: string; seconds: number },
): Promise<ReportTarget[]> {
  const { runDate, seconds } = params;
  return queryRows<ReportTarget>(
    db,
    sql`update slack_reports set refresh_requested_at = null, edited_at = now()
        where run_date = ${runDate}::date and ts is not null and refresh_requested_at is not null
          and (edited_at is null or edited_at <= now() - make_interval(secs => ${seconds}))
        returning channel, ts`,
  );
}

/** Milliseconds until the next owed edit of the night falls due; undefined when none is owed. */
export async function msUntilNextReportEdit(
  db: Db,
  params: { runDate: string; seconds: number },
): Promise<number | undefined> {
  const { runDate, seconds } = params;
  const row = await queryOne<{ ms: number | string | null }>(
    db,
    sql`select (extract(epoch from (min(edited_at) + make_interval(secs => ${seconds}) - now())) * 1000)::float8 as ms
        from slack_reports
        where run_date = ${runDate}::date and ts is not null and refresh_requested_at is not null`,
  );
  return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
}
