import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import { appendRunError, FUNCTION_NAMES, takenDailySteps } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { isDueToday, lastFireOnRunDate } from '../time/cron-matcher.ts';
import type { Deliveries } from './deliveries.ts';
import { lookAtNight } from './early-warning.ts';
import type { DailyStepName } from './late-step-rules.ts';
import { alertLateSteps } from './late-step-watch.ts';
import type { StepDeps } from './night-reporter.ts';
import type { PostcheckResult } from './postcheck.ts';
import { postcheckStep, publishReport } from './postcheck-step.ts';
import { lateNightState, waitsForLateNight } from './postcheck-wait.ts';
import { postDueReports } from './refresh-night.ts';
import type { RepairResult } from './repair.ts';
import { postOverSnoozes } from './snooze-expiry.ts';
import { runTrigger, type TriggerResult } from './trigger.ts';

/**
 * The scheduler's one decision, taken at start-up and at every timer tick: for today's run_date,
 * every daily step whose cron time has passed today and that has no live or finished run row runs
 * now. node-cron only says "look now"; PostgreSQL says whether the step ran. So restarts, sleep,
 * several instances and DST neither lose a night nor run one twice.
 */

/** Whether a step's time has come on a run_date (cron-matcher.ts; exported here as before). */
export { isDueToday };

export interface SchedulerHooks {
  onTrigger?(result: TriggerResult): void | Promise<void>;
  /**
   * The scheduled postcheck of a run_date was recorded (once per run_date); the report is posted
   * already, or, when the tick has `deliveries`, on its way.
   */
  onPostcheck?(result: PostcheckResult): void | Promise<void>;
  onRepair?(result: RepairResult): void | Promise<void>;
}

/**
 * not_due: its time has not come today; done: a run row exists; lost: another instance took it;
 * waiting: a catch-up postcheck gives a late night time to run (postcheck-wait.ts).
 */
export type StepOutcome = 'not_due' | 'done' | 'ran' | 'lost' | 'failed' | 'waiting';

export interface TickResult {
  runDate: string;
  trigger: StepOutcome;
  postcheck: StepOutcome;
  autoRepair: 'off' | 'nothing_missing' | 'ran' | 'failed' | undefined;
  /** Late steps of tonight whose alert this instance posted (late-step-watch.ts). */
  lateAlerts: DailyStepName[];
  /** Snoozes whose "over" line this instance posted (snooze-expiry.ts). */
  snoozesOver: number[];
  /** Night watch warnings this instance posted or edited (early-warning.ts). */
  nightWarnings: string[];
}

export async function schedulerTick(
  deps: StepDeps,
  params: {
    now: Date;
    hooks?: SchedulerHooks | undefined;
    /**
     * Where the tick's Slack deliveries run, apart from it (the scheduler's timers); without it they
     * run inside the tick, which then reports what it posted (lateAlerts, snoozesOver).
     */
    deliveries?: Deliveries | undefined;
  },
): Promise<TickResult> {
  const { now, hooks = {}, deliveries } = params;
  const zone = deps.config.timezone;
  const runDate = runDateOf(now, zone);
  const result: TickResult = {
    runDate,
    trigger: 'not_due',
    postcheck: 'not_due',
    autoRepair: undefined,
    lateAlerts: [],
    snoozesOver: [],
    nightWarnings: [],
  };
  const taken = await takenDailySteps(deps.db, { runDate, now });

  // A run row (even one written before the cron time, by `sched trigger`) settles the step.
  if (taken.has(FUNCTION_NAMES.trigger)) result.trigger = 'done';
  else if (!isDueToday(deps.config.cron.trigger, runDate, now, zone)) result.trigger = 'not_due';
  else result.trigger = await step(deps, 'trigger', runDate, () => triggerStep(deps, runDate, hooks));

  if (taken.has(FUNCTION_NAMES.postcheck)) result.postcheck = 'done';
  else if (!isDueToday(deps.config.cron.postcheck, runDate, now, zone)) result.postcheck = 'not_due';
  else if (await postcheckWaits(deps, runDate, now)) result.postcheck = 'waiting';
  else {
    result.postcheck = await step(deps, 'postcheck', runDate, async () => {
      const outcome = await scheduledPostcheck(deps, runDate, hooks, deliveries !== undefined);
      if (!outcome.ran) return 'lost';
      result.autoRepair = outcome.autoRepair;
      // Posted, or the message already there edited, with the figures just recorded.
      deliveries?.run('postcheck-report', () => publishReport(deps, outcome.result));
      return 'ran';
    });
  }
  // After the steps: a step this tick just ran is not late.
  if (deliveries) {
    // A report whose post failed goes out on a later tick.
    if (result.postcheck !== 'ran')
      deliveries.run('due-reports', () => postDueReports(deps, { remeasure: false }));
    deliveries.run('late-alerts', () => alertLateSteps(deps, { now }));
    deliveries.run('snooze-lines', () => postOverSnoozes(deps, { now }));
    deliveries.run('night-watch', () => lookAtNight(deps, { now }));
  } else {
    result.lateAlerts = await alertLateSteps(deps, { now });
    result.snoozesOver = await postOverSnoozes(deps, { now });
    result.nightWarnings = (await lookAtNight(deps, { now })).sent;
  }
  return result;
}

async function postcheckWaits(deps: Deps, runDate: string, now: Date): Promise<boolean> {
  const state = await lateNightState(deps.db, runDate);
  const postcheckDueAt = lastFireOnRunDate(deps.config.cron.postcheck, runDate, now, deps.config.timezone);
  return waitsForLateNight({ ...state, postcheckDueAt, now });
}

/** Runs one step; a failure is logged here (its run row already holds it) and never thrown. */
async function step(
  deps: Deps,
  name: string,
  runDate: string,
  work: () => Promise<'ran' | 'lost'>,
): Promise<StepOutcome> {
  try {
    const outcome = await work();
    deps.logger.info({ step: name, runDate, outcome }, `scheduler: ${name} ${outcome}`);
    return outcome;
  } catch (error) {
    deps.logger.error({ err: toError(error), step: name, runDate }, `scheduler: ${name} failed`);
    return 'failed';
  }
}

async function triggerStep(deps: Deps, runDate: string, hooks: SchedulerHooks): Promise<'ran' | 'lost'> {
  const result = await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
  // nothing_enqueued ran (and warned); its skipped row brings the next tick back to it.
  if (result.status === 'nothing_enqueued') return 'ran';
  if (result.status !== 'triggered') return 'lost';
  await hook(deps, result.runId, 'onTrigger', () => hooks.onTrigger?.(result));
  return 'ran';
}

async function scheduledPostcheck(
  deps: StepDeps,
  runDate: string,
  hooks: SchedulerHooks,
  publishLater: boolean,
): Promise<{ ran: false } | { ran: true; autoRepair: TickResult['autoRepair']; result: PostcheckResult }> {
  // The step records, repairs (AUTO_REPAIR) and posts or edits the report (postcheck-step.ts),
  // or leaves the post to the deliveries.
  const result = await postcheckStep(deps, {
    runDate,
    triggeredBy: 'scheduler',
    scheduled: true,
    publishLater,
  });
  if (!result.recorded || result.runId === undefined) return { ran: false };
  await hook(deps, result.runId, 'onPostcheck', () => hooks.onPostcheck?.(result));
  const { repair } = result;
  if (repair) await hook(deps, repair.runId, 'onRepair', () => hooks.onRepair?.(repair));
  return { ran: true, autoRepair: result.autoRepair, result };
}

/**
 * A hook (Slack report, ...) that fails leaves the step done: the failure is logged and noted
 * on the step's run row, where history shows it.
 */
async function hook(deps: Deps, runId: number, name: string, call: () => unknown): Promise<void> {
  try {
    await call();
  } catch (error) {
    const err = toError(error);
    deps.logger.error({ err, runId, hook: name }, `scheduler: ${name} hook failed`);
    await appendRunError(deps.db, { runId, message: `${name} failed: ${err.message}` }).catch(
      () => undefined,
    );
  }
}
