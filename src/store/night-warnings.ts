import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';

/**
 * Every statement on night_warnings. A warning is claimed by its INSERT (ON CONFLICT DO NOTHING)
 * before it is posted, and each change of state (recovered, failing again) by one UPDATE that
 * only the first instance wins: however many instances watch the night, one posts, one edits.
 * A post or edit that fails hands its claim back, so the next look tries again.
 */

export type WarningKind = 'provider_failing' | 'stalled' | 'late_finish';

/** A warning as the night watch's rules see it (scheduler/early-warning-rules.ts). */
export interface RaisedWarning {
  kind: WarningKind;
  subject: string;
  state: 'failing' | 'recovered';
}

export interface NightWarningRow extends RaisedWarning {
  runDate: string;
  claimedAt: Date;
  stateChangedAt: Date;
  sentence: string | null;
  channel: string | null;
  ts: string | null;
}

interface Row {
  run_date: string;
  kind: WarningKind;
  subject: string;
  state: 'failing' | 'recovered';
  claimed_at: string | Date;
  state_changed_at: string | Date;
  sentence: string | null;
  channel: string | null;
  ts: string | null;
}

const toRow = (r: Row): NightWarningRow => ({
  runDate: String(r.run_date).slice(0, 10),
  kind: r.kind,
  subject: r.subject,
  state: r.state,
  claimedAt: new Date(r.claimed_at),
  stateChangedAt: new Date(r.state_changed_at),
  sentence: r.sentence,
  channel: r.channel,
  ts: r.ts,
});

export async function nightWarnings(db: Db, runDate: string): Promise<NightWarningRow[]> {
  const rows = await queryRows<Row>(
    db,
    sql`select run_date::text as run_date, kind, subject, state, claimed_at, state_changed_at,
               sentence, channel, ts
        from night_warnings where run_date = ${runDate}::date order by claimed_at, kind, subject`,
  );
  return rows.map(toRow);
}

/** true when this instance won the warning; the caller posts it. */
export async function claimWarning(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string; now: Date },
): Promise<boolean> {
  const at = key.now.toISOString();
  const rows = await queryRows<{ kind: string }>(
    db,
    sql`insert into night_warnings (run_date, kind, subject, claimed_at, state_changed_at)
        values (${key.runDate}::date, ${key.kind}, ${key.subject}, ${at}::timestamptz, ${at}::timestamptz)
        on conflict do nothing returning kind`,
  );
  return rows.length === 1;
}

export async function recordWarningPosted(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string },
  posted: { channel: string | null; ts: string | null; sentence: string },
): Promise<void> {
  await db.execute(
    sql`update night_warnings set channel = ${posted.channel}, ts = ${posted.ts}, sentence = ${posted.sentence}
        where run_date = ${key.runDate}::date and kind = ${key.kind} and subject = ${key.subject}`,
  );
}

export async function releaseWarning(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string },
): Promise<void> {
  await db.execute(
    sql`delete from night_warnings
        where run_date = ${key.runDate}::date and kind = ${key.kind} and subject = ${key.subject}`,
  );
}

/**
 * Moves a warning from one state to the other; the row (with where it was posted) when this
 * instance made the move, undefined when another did or the warning is not in `from`.
 */
export async function claimStateChange(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string },
  change: { from: 'failing' | 'recovered'; to: 'failing' | 'recovered'; now: Date },
): Promise<NightWarningRow | undefined> {
  const rows = await queryRows<Row>(
    db,
    sql`update night_warnings set state = ${change.to}, state_changed_at = ${change.now.toISOString()}::timestamptz
        where run_date = ${key.runDate}::date and kind = ${key.kind} and subject = ${key.subject}
          and state = ${change.from}
        returning run_date::text as run_date, kind, subject, state, claimed_at, state_changed_at,
                  sentence, channel, ts`,
  );
  const row = rows[0];
  return row ? toRow(row) : undefined;
}

/** The edit failed: back to the state it had, so the next look edits again. */
export async function revertStateChange(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string },
  change: { from: 'failing' | 'recovered'; to: 'failing' | 'recovered'; at: Date },
): Promise<void> {
  await db.execute(
    sql`update night_warnings set state = ${change.from}, state_changed_at = ${change.at.toISOString()}::timestamptz
        where run_date = ${key.runDate}::date and kind = ${key.kind} and subject = ${key.subject}
          and state = ${change.to}`,
  );
}

export async function recordWarningSentence(
  db: Db,
  key: { runDate: string; kind: WarningKind; subject: string },
  sentence: string,
): Promise<void> {
  await db.execute(
    sql`update night_warnings set sentence = ${sentence}
        where run_date = ${key.runDate}::date and kind = ${key.kind} and subject = ${key.subject}`,
  );
}
