import { DateTime } from 'luxon';
import { toError } from '../errors.ts';
import { type PagerDutyEvent, sendPagerDutyEvent } from '../paging/pagerduty-events.ts';
import {
  claimStateChange,
  claimWarning,
  type NightWarningRow,
  nightWarnings,
  recordWarningPosted,
  recordWarningSentence,
  releaseWarning,
  revertStateChange,
} from '../store/night-warnings.ts';
import { runDateOf } from '../time/business-day.ts';
import { repeatEvery } from '../time/waits.ts';
import { decideWarnings, unitsAtRisk, type WarningDecision } from './early-warning-rules.ts';
import { postcheckAhead } from './night-pace.ts';
import type { NightProjection } from './night-projection.ts';
import type { NightWarning, StepDeps } from './night-reporter.ts';
import { readNightWatch } from './night-watch-query.ts';

/**
 * The night watch: while tonight's tasks are live and its postcheck has not run, each look reads
 * the night (night-watch-query.ts), asks the pure rules what to warn about
 * (early-warning-rules.ts), claims each warning in night_warnings and posts or edits it in the
 * report channel, with a PagerDuty `warning` of its own dedup key when paging is set up. It runs
 * on the scheduler's tick and on its own short interval (watchNight), and never throws: a look
 * that fails is logged, and the next one tries again.
 */

export interface WatchResult {
  runDate: string;
  /** Warnings this instance posted or edited, as `kind:subject:action`. */
  sent: string[];
  projection: NightProjection | undefined;
}

export async function lookAtNight(deps: StepDeps, params: { now: Date }): Promise<WatchResult> {
  const { now } = params;
  const runDate = runDateOf(now, deps.config.timezone);
  const result: WatchResult = { runDate, sent: [], projection: undefined };
  try {
    const postcheck = await postcheckAhead(deps, { runDate, now });
    if (postcheck.done) return result;
    const w = deps.config.nightWatch;
    const providers = await readNightWatch(deps.db, {
      runDate,
      now,
      windowMinutes: w.windowMinutes,
      windowCalls: w.windowCalls,
    });
    if (!providers.some((p) => p.live > 0)) return result;
    const raised = await nightWarnings(deps.db, runDate);
    const { decisions, projection } = decideWarnings({
      providers,
      raised,
      settings: w,
      now,
      postcheckAt: postcheck.at,
    });
    result.projection = projection;
    // Without a channel nothing is claimed: an instance that can post may still do it.
    if (!deps.reporter || !deps.config.slack.reportChannel) return result;
    for (const decision of decisions) {
      const warning: NightWarning = {
        runDate,
        decision,
        now,
        postcheckAt: projection.postcheckAt,
        unitsAtRisk:
          decision.kind === 'provider_failing'
            ? unitsAtRisk(projection, decision.provider, decision.window.rate, now)
            : 0,
        firstRaisedAt: undefined,
        first: true,
      };
      const sent = await deliver(deps, warning, raised);
      if (sent) result.sent.push(sent);
    }
  } catch (error) {
    deps.logger.error({ err: toError(error), runDate }, 'night watch failed; the next look tries again');
  }
  return result;
}

const subjectOf = (d: WarningDecision) => (d.kind === 'provider_failing' ? d.provider : '');

/** Claims, posts or edits one warning; the claim goes back when Slack refuses. */
async function deliver(
  deps: StepDeps,
  warning: NightWarning,
  raised: NightWarningRow[],
): Promise<string | undefined> {
  const { decision, runDate, now } = warning;
  const reporter = deps.reporter;
  if (!reporter) return undefined;
  const key = { runDate, kind: decision.kind, subject: subjectOf(decision) };
  const label = `${key.kind}:${key.subject}:${decision.kind === 'provider_failing' ? decision.action : 'raise'}`;
  if (decision.kind !== 'provider_failing' || decision.action === 'raise') {
    if (!(await claimWarning(deps.db, { ...key, now }))) return undefined;
    try {
      const posted = await reporter.warnNight(warning);
      await recordWarningPosted(deps.db, key, {
        channel: posted?.channel ?? null,
        ts: posted?.ts ?? null,
        sentence: posted?.sentence ?? '',
      });
    } catch (error) {
      await releaseWarning(deps.db, key).catch(() => undefined);
      throw error;
    }
    deps.logger.warn({ runDate, warning: label }, 'night watch: warning posted');
    await page(deps, warning, 'trigger');
    return label;
  }
  // A state change of a posted provider warning: recovered, or failing again. One instance edits.
  const to = decision.action === 'recover' ? 'recovered' : 'failing';
  const from = to === 'recovered' ? 'failing' : 'recovered';
  const before = raised.find((r) => r.kind === key.kind && r.subject === key.subject);
  const row = await claimStateChange(deps.db, key, { from, to, now });
  if (!row) return undefined;
  const edit = { ...warning, firstRaisedAt: row.claimedAt, first: false };
  try {
    const where = row.channel && row.ts ? { channel: row.channel, ts: row.ts } : undefined;
    const posted = await reporter.warnNight(edit, where);
    if (posted && !where) await recordWarningPosted(deps.db, key, { ...posted });
    else if (posted) await recordWarningSentence(deps.db, key, posted.sentence);
  } catch (error) {
    await revertStateChange(deps.db, key, { from, to, at: before?.stateChangedAt ?? row.claimedAt }).catch(
      () => undefined,
    );
    throw error;
  }
  deps.logger.info({ runDate, warning: label }, 'night watch: warning edited');
  await page(deps, edit, to === 'recovered' ? 'resolve' : 'trigger');
  return label;
}

/** PagerDuty's own incident per warning (severity warning); a send that fails is only logged. */
async function page(deps: StepDeps, warning: NightWarning, action: 'trigger' | 'resolve'): Promise<void> {
  const { routingKey, eventsUrl } = deps.config.pagerDuty;
  if (!routingKey) return;
  const { decision, runDate } = warning;
  const dedupKey = warningDedupKey(runDate, decision.kind, subjectOf(decision));
  const event: PagerDutyEvent =
    action === 'resolve'
      ? { action, dedupKey }
      : {
          action,
          dedupKey,
          alert: {
            summary: `sched-bot: ${pagerSummary(warning, deps.config.timezone)}`,
            source: 'sched-bot',
            severity: 'warning',
            timestamp: warning.now.toISOString(),
            component: 'nightly-prompt-run',
            customDetails: { run_date: runDate, kind: decision.kind, subject: subjectOf(decision) },
          },
        };
  try {
    const outcome = await sendPagerDutyEvent({ url: eventsUrl, routingKey }, event);
    if (!outcome.ok)
      deps.logger.error({ runDate, dedupKey, reason: outcome.reason }, 'PagerDuty warning not delivered');
  } catch (error) {
    deps.logger.error({ err: toError(error), runDate, dedupKey }, 'PagerDuty warning not delivered');
  }
}

export const warningDedupKey = (runDate: string, kind: string, subject: string) =>
  `sched-bot-${runDate}-${kind}${subject ? `-${subject}` : ''}`;

/** Plain words for PagerDuty (no Slack markup). */
function pagerSummary(warning: NightWarning, zone: string): string {
  const { decision } = warning;
  const hhmm = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat('HH:mm');
  switch (decision.kind) {
    case 'provider_failing':
      return `${decision.provider}: ${Math.round(decision.window.rate * 100)}% of the last ${decision.window.calls} calls failed${decision.window.cause ? ` (${decision.window.cause})` : ''} on the ${warning.runDate} night, ${hhmm(warning.now)}; ${warning.unitsAtRisk} units at risk`;
    case 'stalled':
      return `the ${warning.runDate} night is not moving: no unit finished since ${hhmm(decision.since)}, ${decision.live} units wait (${decision.holders.map((h) => h.provider).join(', ')})`;
    case 'late_finish':
      return `the ${warning.runDate} night will not finish before the postcheck: about ${decision.projection.finishAt ? hhmm(decision.projection.finishAt) : '?'}; ${decision.holder.provider} holds it up`;
  }
}

export const NIGHT_WATCH_INTERVAL_MS = 60_000;

/**
 * The watch on its own interval (the scheduler's tick is every few minutes): it looks at once,
 * then every interval; stop() waits for a look in flight, so the database can close after it.
 */
export function watchNight(
  deps: StepDeps,
  params: { intervalMs?: number | undefined } = {},
): { stop(): Promise<void> } {
  const intervalMs = params.intervalMs ?? deps.config.nightWatch.intervalSeconds * 1000;
  // Nowhere to post: nothing to look for (status and the console measure on their own).
  if (!deps.reporter || !deps.config.slack.reportChannel) return { stop: async () => undefined };
  return repeatEvery(intervalMs, () => lookAtNight(deps, { now: deps.clock() }));
}
