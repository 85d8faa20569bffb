import type { Db } from '../db/client.ts';
import { toError } from '../errors.ts';
import { installedAt } from '../store/installation.ts';
import { claimLateAlert, recordLateAlertPosted, releaseLateAlert } from '../store/late-alerts.ts';
import { recordedSteps } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { repeatEvery } from '../time/waits.ts';
import { type DailyStepName, lateSteps, type StepStatuses } from './late-step-rules.ts';
import { missedNights } from './missed-nights.ts';
import type { StepDeps } from './night-reporter.ts';

/**
 * The watchdog for the watchdog, run by every live instance on each scheduler tick: a step of
 * tonight that is late (late-step-rules.ts) gets one alert in the report channel. The alert is claimed
 * in PostgreSQL before the post (a late_alerts row, store/late-alerts.ts), so three
 * instances noticing at once post it once; a post that fails gives the claim back, and the next
 * tick tries again.
 */

/** Today's trigger and postcheck as recorded by any entry point (store/scheduler-runs.ts recordedSteps). */
export async function stepStatuses(db: Db, runDate: string): Promise<StepStatuses> {
  const { trigger, postcheck } = await recordedSteps(db, runDate);
  return { trigger, postcheck };
}

/** Alerts for tonight's late steps; returns the steps this instance posted. Never throws. */
export async function alertLateSteps(deps: StepDeps, params: { now: Date }): Promise<DailyStepName[]> {
  const { now } = params;
  const { reporter } = deps;
  // Without a channel nothing is claimed: an instance that can post may still do it.
  if (!reporter || !deps.config.slack.reportChannel) return [];
  const posted: DailyStepName[] = [];
  try {
    const zone = deps.config.timezone;
    const statuses = await stepStatuses(deps.db, runDateOf(now, zone));
    const since = await installedAt(deps.db);
    for (const late of lateSteps({ cron: deps.config.cron, zone, now, statuses, installedAt: since })) {
      if (!(await claimLateAlert(deps.db, late))) continue;
      try {
        const where = await reporter.alertLate(late, now);
        await recordLateAlertPosted(deps.db, { runDate: late.runDate, step: late.step, where });
        deps.logger.warn({ runDate: late.runDate, step: late.step, due: late.dueAt }, `${late.step} is late`);
        posted.push(late.step);
      } catch (error) {
        await releaseLateAlert(deps.db, late).catch(() => undefined);
        throw error;
      }
    }
    await alertMissedNights(deps, now);
  } catch (error) {
    deps.logger.error({ err: toError(error) }, 'late-step alert failed; the next tick tries again');
  }
  return posted;
}

export const LATE_CHECK_INTERVAL_MS = 60_000;

/**
 * The same watch in a process without the scheduler's tick (`sched worker`): it looks at once,
 * then every interval, so any live instance, not only `serve`, raises the alert. stop() waits for
 * a look in flight, so the database can close after it.
 */
export function watchLateSteps(
  deps: StepDeps,
  params: { intervalMs?: number | undefined } = {},
): { stop(): Promise<void> } {
  const { intervalMs = LATE_CHECK_INTERVAL_MS } = params;
  return repeatEvery(intervalMs, () => alertLateSteps(deps, { now: deps.clock() }));
}

/** One alert per missed night (missed-nights.ts), with its Acknowledge button, claimed like a late step's. */
async function alertMissedNights(deps: StepDeps, now: Date): Promise<void> {
  const { reporter } = deps;
  if (!reporter?.alertMissed) return;
  for (const runDate of await missedNights(deps, now)) {
    const key = { runDate, step: 'missed' };
    if (!(await claimLateAlert(deps.db, key))) continue;
    try {
      const where = await reporter.alertMissed(runDate);
      await recordLateAlertPosted(deps.db, { ...key, where });
      deps.logger.warn({ runDate }, 'a past night never ran');
    } catch (error) {
      await releaseLateAlert(deps.db, key).catch(() => undefined);
      throw error;
    }
  }
}
