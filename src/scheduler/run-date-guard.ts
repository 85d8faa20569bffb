import { sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { type Db, queryOne } from '../db/client.ts';
import { SchedError } from '../errors.ts';
import { nightTriggered } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { checkRunDate, needsTrigger, type RunDatePurpose } from './run-date-rules.ts';

/** When retention removed the night's queue rows (src/queue/prune-night.ts), if it did. */
export async function nightPrunedAt(db: Db, runDate: string): Promise<Date | undefined> {
  const row = await queryOne<{ at: Date | string }>(
    db,
    sql`select queue_pruned_at as at from pruned_nights where run_date = ${runDate}::date`,
  );
  return row ? new Date(row.at) : undefined;
}

/**
 * Refuses a run_date that checkRunDate does not allow for `purpose`, with one sentence (a usage
 * error: HTTP 400, CLI exit 2, an ephemeral reply in Slack). Reads only: call it before anything
 * is written, scheduler_runs included.
 */
export async function assertRunDateAllowed(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; purpose: RunDatePurpose },
): Promise<void> {
  const { runDate, purpose } = params;
  const verdict = checkRunDate({
    runDate,
    purpose,
    today: runDateOf(deps.clock(), deps.config.timezone),
    timezone: deps.config.timezone,
    backfillDays: deps.config.backfillDays,
    triggered: needsTrigger(purpose) ? await nightTriggered(deps.db, runDate) : false,
    prunedAt: needsTrigger(purpose) ? await nightPrunedAt(deps.db, runDate) : undefined,
  });
  if (!verdict.ok) throw new SchedError('usage', verdict.message, { refusal: verdict.refusal, runDate });
}
