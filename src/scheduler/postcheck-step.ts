import { actionableUnits, shortfallAllSnoozed } from '../coverage/snoozed-units.ts';
import { toError } from '../errors.ts';
import { pingHeartbeat } from '../paging/heartbeat-ping.ts';
import { assertKnownProvider } from '../queue/run-scope.ts';
import { appendRunError } from '../store/scheduler-runs.ts';
import { assertFreshAnswersConfirmed } from './fresh-answers.ts';
import { NO_SLACK, type PublishOutcome, type StepDeps } from './night-reporter.ts';
import { type PagerOutcome, pageNight } from './oncall-paging.ts';
import { type PostcheckResult, runPostcheck } from './postcheck.ts';
import { type RepairResult, type RepairScope, repairMissing } from './repair.ts';
import { runRetention } from './retention.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';

/**
 * The postcheck step with every side effect it has, whichever entry point runs it (the scheduler
 * tick, the HTTP endpoint, `sched postcheck`, the console): record coverage; repair when asked
 * (`--repair`, `?repair=true`) or when AUTO_REPAIR is on and units are missing; then post the
 * night's report, or edit the one already posted (one per night), showing the repair it started.
 * The repair's progress and its final figures reach the report through the workers that run its
 * tasks (refresh-night.ts).
 */

export interface PostcheckStepParams {
  runDate: string;
  triggeredBy: string;
  /** The scheduled postcheck: run key = run_date, once per night however many instances fire. */
  scheduled?: boolean;
  /** Repair what is missing after measuring, whatever AUTO_REPAIR says. */
  repair?: boolean;
  /**
   * Record and repair only, and leave the report to the scheduler's deliveries (deliveries.ts), so
   * the tick never waits on Slack; the outcome is then `deferred`.
   */
  publishLater?: boolean;
  /** What that repair enqueues (failed units only, one provider: run-scope.ts); missing units by default. AUTO_REPAIR always repairs every missing unit. */
  repairScope?: RepairScope | undefined;
  /** A second "every unit" repair of the night was confirmed by a person (fresh-answers.ts). */
  confirmFresh?: boolean | undefined;
  /** How this caller confirms it, in its own words; the CLI's flag by default. */
  howToConfirm?: string | undefined;
}

export type AutoRepair = 'off' | 'nothing_missing' | 'ran' | 'failed';

export interface PostcheckStepResult extends PostcheckResult {
  /** The repair this step enqueued (asked for, or AUTO_REPAIR). */
  repair: RepairResult | undefined;
  autoRepair: AutoRepair | undefined;
  /** What happened to the report in Slack; undefined when the step did not run (another instance did). */
  published: PublishOutcome | undefined;
  /** What PagerDuty was sent ('off' without PAGERDUTY_ROUTING_KEY). */
  paged?: PagerOutcome | undefined;
}

export async function postcheckStep(
  deps: StepDeps,
  params: PostcheckStepParams,
): Promise<PostcheckStepResult> {
  const { runDate, triggeredBy } = params;
  // A refused repair date or an unknown provider is refused before the postcheck records anything.
  if (params.repair) {
    await assertRunDateAllowed(deps, { runDate, purpose: 'repair' });
    assertKnownProvider(params.repairScope?.provider);
    if (params.repairScope?.units === 'all') {
      await assertFreshAnswersConfirmed(deps, {
        runDate,
        provider: params.repairScope.provider,
        confirmed: params.confirmFresh,
        howToConfirm: params.howToConfirm ?? 'confirm it (`sched postcheck --repair --all --confirm`)',
      });
    }
  }
  const result = await runPostcheck(deps, { runDate, triggeredBy, scheduled: params.scheduled === true });
  if (!result.recorded || result.runId === undefined) {
    return { ...result, repair: undefined, autoRepair: undefined, published: undefined };
  }

  let repair: RepairResult | undefined;
  let autoRepair: AutoRepair | undefined;
  if (params.repair) {
    repair = await repairMissing(deps, {
      runDate,
      triggeredBy,
      scope: params.repairScope,
      confirmFresh: params.confirmFresh,
    });
  } else if (!deps.config.autoRepair) {
    autoRepair = 'off';
  } else if (actionableUnits(result.report) === 0) {
    autoRepair = 'nothing_missing';
  } else {
    try {
      repair = await repairMissing(deps, { runDate, triggeredBy: 'auto-repair' });
      autoRepair = 'ran';
      deps.logger.info({ runDate, tasks: repair.tasks, runId: repair.runId }, 'auto-repair enqueued');
    } catch (error) {
      // repairMissing persisted the failure on its own run row.
      deps.logger.error({ err: toError(error), runDate }, 'auto-repair failed');
      autoRepair = 'failed';
    }
  }

  // A night short only by snoozed units is known and owned: the monitor hears success.
  const healthy = result.report.summary.overallHealth === 'HEALTHY' || shortfallAllSnoozed(result.report);
  const [published, paged] = await Promise.all([
    params.publishLater ? DEFERRED : publishReport(deps, result),
    pageNight(deps, { report: result.report, mayTrigger: true }),
    pingHeartbeat(deps, { runDate, signal: healthy ? 'success' : 'fail' }),
  ]);
  // With this night's figures recorded, nights past the retention window may go (opt-in).
  await runRetention(deps, { dryRun: false }).catch((error: unknown) =>
    deps.logger.error({ err: toError(error), runDate }, 'retention after the postcheck failed'),
  );
  return { ...result, repair, autoRepair, published, paged };
}

const DEFERRED: PublishOutcome = { action: 'deferred' };

/** The report is a side effect: a Slack failure leaves the step done and is noted on its run row. */
export async function publishReport(deps: StepDeps, result: PostcheckResult): Promise<PublishOutcome> {
  const runDate = result.report.runDate;
  if (!deps.reporter) return NO_SLACK;
  try {
    const outcome = await deps.reporter.publish(runDate, result.report);
    if (outcome.action === 'reposted') {
      deps.logger.warn({ runDate, ...outcome }, 'the recorded report message was gone: posted a fresh one');
    }
    return outcome;
  } catch (error) {
    const err = toError(error);
    deps.logger.error({ err, runDate, runId: result.runId }, 'morning report not posted');
    if (result.runId !== undefined)
      await appendRunError(deps.db, { runId: result.runId, message: `report failed: ${err.message}` }).catch(
        () => undefined,
      );
    return { action: 'failed', reason: err.message };
  }
}

/** One plain sentence about the report, for the CLI and the console. */
export function describePublished(outcome: PublishOutcome | undefined): string | undefined {
  if (!outcome) return undefined;
  switch (outcome.action) {
    case 'posted':
      return `Morning report posted to ${outcome.channel}.`;
    case 'updated':
      return `Morning report in ${outcome.channel} updated.`;
    case 'reposted':
      return `The recorded report message in ${outcome.channel} no longer exists: posted a fresh report (ts ${outcome.ts}).`;
    case 'not_posted':
      return `Nothing posted to Slack: ${outcome.reason}.`;
    case 'failed':
      return `The morning report could not be posted or updated: ${outcome.reason}`;
    case 'deferred':
      return 'The morning report is being posted.';
  }
}
