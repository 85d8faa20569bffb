import { sql } from 'drizzle-orm';
import type { ActiveSnooze } from '../coverage/types.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';
import { inForce } from '../queue/snooze-holds.ts';

/**
 * Every statement on `snoozes` (schema.ts) but the queue's fragments. A snooze is in force at an instant when it has
 * started, has not been ended, and its end (if it has one) is still ahead. A provider-wide snooze
 * with a fixed end is a maintenance window: the claim statement gives that provider no calls
 * (maintenanceHold), so its tasks wait instead of failing. An until-success snooze never holds
 * calls: it would never see the success that ends it. The fragments the queue's statements carry
 * (an enqueue's snoozed units, a claim's maintenance hold, a completion's end by success) and
 * `inForce` are in src/queue/snooze-holds.ts.
 */

export type SnoozeScope = ActiveSnooze['scope'];

export interface SnoozeRow extends ActiveSnooze {
  createdAt: string;
  endedAt: string | null;
  endedBy: string | null;
}

export interface NewSnooze {
  provider: ProviderName | null;
  orgId: string | null;
  startsAt: Date;
  /** null with untilSuccess. */
  endsAt: Date | null;
  untilSuccess: boolean;
  reason: string | null;
  createdBy: string;
}

interface Row {
  id: number | string;
  scope: SnoozeScope;
  provider: ProviderName | null;
  org_id: string | null;
  org_name: string | null;
  starts_at: string | Date;
  ends_at: string | Date | null;
  until_success: boolean;
  reason: string | null;
  created_by: string;
  created_at: string | Date;
  ended_at: string | Date | null;
  ended_by: string | null;
}

const iso = (value: string | Date) => new Date(value).toISOString();

function toSnooze(r: Row): SnoozeRow {
  return {
    id: Number(r.id),
    scope: r.scope,
    provider: r.provider,
    orgId: r.org_id,
    orgName: r.org_name,
    startsAt: iso(r.starts_at),
    until: r.ends_at === null ? null : iso(r.ends_at),
    untilSuccess: r.until_success,
    reason: r.reason,
    by: r.created_by,
    createdAt: iso(r.created_at),
    endedAt: r.ended_at === null ? null : iso(r.ended_at),
    endedBy: r.ended_by,
  };
}

const COLUMNS = sql`s.id, s.scope, s.provider, s.org_id, o.name as org_name, s.starts_at, s.ends_at,
  s.until_success, s.reason, s.created_by, s.created_at, s.ended_at, s.ended_by`;

export const scopeOf = (provider: string | null, orgId: string | null): SnoozeScope =>
  provider && orgId ? 'org_provider' : provider ? 'provider' : 'org';

export async function createSnooze(db: Db, input: NewSnooze): Promise<SnoozeRow> {
  const row = await queryOne<Row>(
    db,
    sql`with s as (
          insert into snoozes (scope, provider, org_id, starts_at, ends_at, until_success, reason, created_by)
          values (${scopeOf(input.provider, input.orgId)}, ${input.provider}, ${input.orgId}::uuid,
                  ${input.startsAt.toISOString()}::timestamptz, ${input.endsAt?.toISOString() ?? null}::timestamptz,
                  ${input.untilSuccess}, ${input.reason}, ${input.createdBy})
          returning *
        )
        select ${COLUMNS} from s left join organizations o on o.id = s.org_id`,
  );
  if (!row) throw new Error('snooze insert returned no row');
  return toSnooze(row);
}

/** Snoozes in force at `now`, oldest first: the ones a report shows. */
export async function activeSnoozes(db: Db, now: Date): Promise<ActiveSnooze[]> {
  const rows = await queryRows<Row>(
    db,
    sql`select ${COLUMNS} from snoozes s left join organizations o on o.id = s.org_id
        where ${inForce(sql`${now.toISOString()}::timestamptz`)}
        order by s.id`,
  );
  return rows.map((r) => {
    const { createdAt: _c, endedAt: _e, endedBy: _b, ...active } = toSnooze(r);
    return active;
  });
}

/** In force now or starting later (maintenance windows ahead), oldest first. */
export async function openSnoozes(db: Db, now: Date): Promise<SnoozeRow[]> {
  const rows = await queryRows<Row>(
    db,
    sql`select ${COLUMNS} from snoozes s left join organizations o on o.id = s.org_id
        where s.ended_at is null and (s.ends_at is null or s.ends_at > ${now.toISOString()}::timestamptz)
        order by s.starts_at, s.id`,
  );
  return rows.map(toSnooze);
}

export type EndOutcome = { kind: 'ended'; snooze: SnoozeRow } | { kind: 'not_open' } | { kind: 'unknown' };

/** Ends a snooze early; a snooze already over (ended, or its time up) is left as it is. */
export async function endSnooze(
  db: Db,
  params: { id: number; endedBy: string; now: Date },
): Promise<EndOutcome> {
  const { id, endedBy, now } = params;
  const at = sql`${now.toISOString()}::timestamptz`;
  const row = await queryOne<Row & { changed: boolean }>(
    db,
    sql`with ended as (
          update snoozes set ended_at = ${at}, ended_by = ${endedBy}
          where id = ${id} and ended_at is null and (ends_at is null or ends_at > ${at})
          returning *
        ),
        s as (
          select *, true as changed from ended
          union all
          select *, false from snoozes where id = ${id} and not exists (select 1 from ended)
        )
        select ${COLUMNS}, s.changed from s left join organizations o on o.id = s.org_id`,
  );
  if (!row) return { kind: 'unknown' };
  return row.changed ? { kind: 'ended', snooze: toSnooze(row) } : { kind: 'not_open' };
}

/** A snooze that is over (time up, ended early or by a success) and whose notice nobody claimed. */
export interface OverSnooze extends SnoozeRow {}

/**
 * Claims the snoozes that are over and whose one "snooze over" line is not yet posted. The claim
 * is one UPDATE with SKIP LOCKED, so however many instances tick, each line is posted once; a
 * post that fails hands its claim back (releaseExpiry).
 */
export async function claimOverSnoozes(db: Db, now: Date): Promise<OverSnooze[]> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const rows = await queryRows<Row>(
    db,
    sql`with claimed as (
          update snoozes set expiry_claimed_at = ${at}
          where id in (
            select id from snoozes
            where expiry_claimed_at is null and (ended_at is not null or ends_at <= ${at})
            order by id
            for update skip locked
          )
          returning *
        )
        select ${COLUMNS} from claimed s left join organizations o on o.id = s.org_id order by s.id`,
  );
  return rows.map(toSnooze);
}

export async function recordExpiryPosted(db: Db, params: { id: number; ts: string | null }): Promise<void> {
  const { id, ts } = params;
  await db.execute(sql`update snoozes set expiry_ts = ${ts} where id = ${id}`);
}

export async function releaseExpiry(db: Db, id: number): Promise<void> {
  await db.execute(sql`update snoozes set expiry_claimed_at = null where id = ${id} and expiry_ts is null`);
}
