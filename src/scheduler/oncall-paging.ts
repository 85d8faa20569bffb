import type { Deps } from '../context.ts';
import { actionableByProvider, actionableUnits, snoozedUnits } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { toError } from '../errors.ts';
import { type PagerDutyEvent, sendPagerDutyEvent } from '../paging/pagerduty-events.ts';
import { claimPagerState, releasePagerState } from '../store/night-pages.ts';

/**
 * Paging for a night (SLACK_ONCALL in the report's thread, PagerDuty Events API v2). A person is
 * paged when the night needs attention and something can be done about it: units are missing.
 * PagerDuty gets one trigger per night (dedup_key `sched-bot-<run_date>`) from the postcheck and
 * one resolve when a later measurement (a repair's, a rerun's) finds the night healthy. Each
 * change is claimed in night_pages by one UPDATE first, so several instances send it once; a
 * send that fails hands its claim back and is logged: paging never fails the postcheck.
 */

/**
 * The night needs a person: it needs attention and has missing units a repair can run, not
 * counting those a snooze holds (a fully snoozed night pages nobody).
 */
export const needsPerson = (report: CoverageReport) =>
  report.summary.overallHealth === 'NEEDS_ATTENTION' && actionableUnits(report) > 0;

export const pagerDedupKey = (runDate: string) => `sched-bot-${runDate}`;

export type PagerOutcome = 'off' | 'unchanged' | 'triggered' | 'resolved' | 'failed';

type PagerDeps = Pick<Deps, 'db' | 'config' | 'logger'>;

export interface PagerOptions {
  /** Only the postcheck triggers; re-measures after repairs only resolve. */
  mayTrigger: boolean;
  /** Tests shorten the back-off between attempts. */
  retryDelayMs?: number;
}

export async function pageNight(
  deps: PagerDeps,
  params: PagerOptions & { report: CoverageReport },
): Promise<PagerOutcome> {
  const { report, ...options } = params;
  const { routingKey, eventsUrl } = deps.config.pagerDuty;
  if (!routingKey) return 'off';
  const runDate = report.runDate;
  try {
    if (options.mayTrigger && needsPerson(report)) {
      if (!(await claimPagerState(deps.db, { runDate, to: 'triggered' }))) return 'unchanged';
      return await send(deps, { routingKey, eventsUrl, ...options }, runDate, triggerEvent(report));
    }
    if (report.summary.overallHealth === 'HEALTHY') {
      if (!(await claimPagerState(deps.db, { runDate, to: 'resolved' }))) return 'unchanged';
      const resolve: PagerDutyEvent = { action: 'resolve', dedupKey: pagerDedupKey(runDate) };
      return await send(deps, { routingKey, eventsUrl, ...options }, runDate, resolve);
    }
    return 'unchanged';
  } catch (error) {
    deps.logger.error({ err: toError(error), runDate }, 'PagerDuty: could not record the page');
    return 'failed';
  }
}

/** The alert quotes what a person can act on: snoozed units are counted apart, never paged for. */
export function triggerEvent(report: CoverageReport): PagerDutyEvent {
  const byProvider = Object.entries(actionableByProvider(report))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([provider, units]) => `${provider} ${units}`)
    .join(', ');
  const snoozed = snoozedUnits(report);
  const apart = snoozed > 0 ? `, ${snoozed} more snoozed` : '';
  return {
    action: 'trigger',
    dedupKey: pagerDedupKey(report.runDate),
    alert: {
      summary: `sched-bot: the ${report.runDate} night needs attention: ${actionableUnits(report)} missing units to act on (${byProvider})${apart}, prompt coverage ${report.ratios.prompts.percent}%`,
      source: 'sched-bot',
      severity: 'error',
      timestamp: report.generatedAt,
      component: 'nightly-prompt-run',
      customDetails: {
        run_date: report.runDate,
        missing_units: report.units.missing,
        actionable_units: actionableUnits(report),
        snoozed_units: snoozed,
        prompt_coverage_percent: report.ratios.prompts.percent,
        org_coverage_percent: report.ratios.orgs.percent,
        reasons: report.summary.reasons.map((r) => r.code),
      },
    },
  };
}

async function send(
  deps: PagerDeps,
  options: { routingKey: string; eventsUrl: string; retryDelayMs?: number },
  runDate: string,
  event: PagerDutyEvent,
): Promise<PagerOutcome> {
  const state = event.action === 'trigger' ? 'triggered' : 'resolved';
  const outcome = await sendPagerDutyEvent(
    {
      url: options.eventsUrl,
      routingKey: options.routingKey,
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    },
    event,
  );
  if (outcome.ok) {
    deps.logger.info({ runDate, dedupKey: event.dedupKey, attempts: outcome.attempts }, `PagerDuty ${state}`);
    return state;
  }
  // Hand the claim back: the next postcheck (trigger) or re-measure (resolve) tries again.
  await releasePagerState(deps.db, { runDate, claimed: state });
  deps.logger.error(
    { runDate, dedupKey: event.dedupKey, attempts: outcome.attempts, reason: outcome.reason },
    `PagerDuty ${event.action} not delivered`,
  );
  return 'failed';
}
