import type { Deps } from '../context.ts';
import { usageError } from '../errors.ts';
import { installedAt } from '../store/installation.ts';
import { acknowledgedNights, acknowledgeNight, type NightAck } from '../store/night-acks.ts';
import { nightsWithTrigger, nightTriggered } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { owedNights } from './late-step-rules.ts';

/**
 * Missed nights: a past night that was owed a run (late-step-rules.ts owedNights) and whose trigger
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
  const [triggered, acknowledged] = await Promise.all([
    nightsWithTrigger(deps.db, owed),
    acknowledgedNights(deps.db, owed),
  ]);
  return owed.filter((d) => !triggered.has(d) && !acknowledged.has(d)).sort();
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
