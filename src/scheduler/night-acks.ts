import { param, sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { usageError } from '../errors.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { owedNights } from './late-steps.ts';
import { nightTriggered } from './run-date-guard.ts';
import { installedAt } from './step-records.ts';

/**
 * Missed nights: a past night that was owed a run (late-steps.ts owedNights) and whose trigger
 * never ran stays flagged (`night_missed`, on /healthz and in the report channel) until it is
 * backfilled (`sched trigger --date D`) or a person acknowledges it (`sched ack D`, or the
 * Acknowledge button on its alert), logged with who.
 */

export async function missedNights(deps: Pick<Deps, 'db' | 'config'>, now: Date): Promise<string[]> {
  const owed = owedNights({
    triggerCron: deps.config.cron.trigger,
    zone: deps.config.timezone,
    now,
    installedAt: await installedAt(deps.db),
    backfillDays: deps.config.backfillDays,
  });
  if (owed.length === 0) return [];
  const rows = await queryRows<{ run_date: string }>(
    deps.db,
    sql`select d as run_date from unnest(${param(owed)}::text[]) as d
        where not exists (select 1 from scheduler_runs r
                          where r.function_name = ${FUNCTION_NAMES.trigger} and r.run_key = d
                            and r.status in ('running', 'completed'))
          and not exists (select 1 from night_acks a where a.run_date = d::date)
        order by d`,
  );
  return rows.map((r) => r.run_date);
}

export interface NightAck {
  runDate: string;
  ackedBy: string;
  ackedAt: string;
  /** false when it had already been acknowledged (by `ackedBy`). */
  created: boolean;
}

/** Acknowledges a missed night; a second acknowledgement keeps the first one's who and when. */
export async function acknowledgeNight(db: Db, params: { runDate: string; by: string }): Promise<NightAck> {
  const row = await queryOne<{ acked_by: string; acked_at: string | Date; created: boolean }>(
    db,
    sql`with added as (
          insert into night_acks (run_date, acked_by) values (${params.runDate}::date, ${params.by})
          on conflict (run_date) do nothing
          returning acked_by, acked_at)
        select acked_by, acked_at, true as created from added
        union all
        select acked_by, acked_at, false from night_acks
        where run_date = ${params.runDate}::date and not exists (select 1 from added)`,
  );
  if (!row) throw new Error(`acknowledging ${params.runDate} recorded nothing`);
  return {
    runDate: params.runDate,
    ackedBy: row.acked_by,
    ackedAt: new Date(row.acked_at).toISOString(),
    created: row.created,
  };
}

/**
 * `sched ack D` and the Acknowledge button: only a past night whose trigger never ran can be
 * acknowledged (a usage error otherwise, nothing written).
 */
export async function acknowledgeMissedNight(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; by: string },
): Promise<NightAck> {
  const { runDate } = params;
  if (runDate >= runDateOf(deps.clock(), deps.config.timezone))
    throw usageError(`${runDate} is not a past night: only a night that was missed can be acknowledged`);
  if (await nightTriggered(deps.db, runDate))
    throw usageError(`${runDate} ran (its trigger is recorded): there is nothing to acknowledge`);
  return acknowledgeNight(deps.db, params);
}
