import type { RaisedWarning, WarningKind } from '../store/night-warnings.ts';
import { type NightProjection, projectNight } from './night-projection.ts';
import type { ProviderOutcomes, ProviderWatch } from './night-watch-query.ts';
import { RATE_WINDOW_MINUTES } from './progress.ts';

/**
 * The night watch's rules, pure: from what night-watch-query.ts read and the warnings already
 * raised tonight, which warning to post or edit now. Three kinds, each once per night (per
 * provider for a failing provider):
 * - provider_failing: final failures and retries over the recent window pass the threshold; a
 *   429 counts only while it pauses the provider; a snoozed provider gets none. A provider whose
 *   window falls under half the threshold has recovered (the message is edited), and one that
 *   fails again after is `relapse` (the same message, edited again). Half: a provider hovering
 *   at the threshold would otherwise flip the message every look.
 * - stalled: live units and nothing finished for `stallMinutes`, or an enabled provider with
 *   waiting units and no live worker that can call it.
 * - late_finish: the projection passes the postcheck by more than `lateMarginMinutes`.
 */

export interface WatchSettings {
  failureRate: number;
  minCalls: number;
  stallMinutes: number;
  lateMarginMinutes: number;
}

export interface FailureWindow {
  calls: number;
  failures: number;
  rate: number;
  /** "HTTP 500", or the error's words when it carries no status. */
  cause: string | undefined;
}

/** Why a provider holds a night up, for the stall and late-finish words. */
export type HoldReason =
  | { kind: 'no_worker' }
  | { kind: 'paused'; until: Date; reason: string | null }
  | { kind: 'at_limit'; rpm: number }
  | { kind: 'no_progress' }
  | { kind: 'slow'; perMinute: number };

export interface Holder {
  provider: string;
  live: number;
  reason: HoldReason;
}

export type WarningDecision =
  | {
      kind: 'provider_failing';
      provider: string;
      action: 'raise' | 'relapse' | 'recover';
      window: FailureWindow;
    }
  | { kind: 'stalled'; since: Date; live: number; holders: Holder[] }
  | { kind: 'late_finish'; projection: NightProjection; holder: Holder };

/** The share of the window that failed: final failures, retries, and 429s only while paused. */
export function failureWindow(outcomes: ProviderOutcomes, paused: boolean): FailureWindow {
  const failures = outcomes.finalFailures + outcomes.retries + (paused ? outcomes.rateLimited : 0);
  const calls = outcomes.calls - (paused ? 0 : outcomes.rateLimited);
  return {
    calls,
    failures,
    rate: calls > 0 ? failures / calls : 0,
    cause: outcomes.topError ? causeWords(outcomes.topError) : undefined,
  };
}

/** "HTTP 503" when the message names a status, else the error class in words. */
export function causeWords(error: { errorClass: string; message: string }): string {
  const status = /\b([45]\d\d)\b/.exec(error.message);
  if (status) return `HTTP ${status[1]}`;
  return error.errorClass.replace(/_/g, ' ');
}

export const isHeld = (p: ProviderWatch, now: Date) => p.heldUntil !== null && p.heldUntil > now;

export function providerDecision(
  p: ProviderWatch,
  raised: RaisedWarning | undefined,
  settings: WatchSettings,
  now: Date,
): WarningDecision | undefined {
  const window = failureWindow(p.outcomes, isHeld(p, now));
  const enough = window.calls >= settings.minCalls;
  const failing = enough && window.rate >= settings.failureRate;
  const clean = enough && window.rate < settings.failureRate / 2;
  if (failing && !p.snoozed) {
    if (!raised) return { kind: 'provider_failing', provider: p.provider, action: 'raise', window };
    if (raised.state === 'recovered')
      return { kind: 'provider_failing', provider: p.provider, action: 'relapse', window };
  }
  if (clean && raised?.state === 'failing')
    return { kind: 'provider_failing', provider: p.provider, action: 'recover', window };
  return undefined;
}

/** The night's projection from the watch's reading (the same math /sched-status shows). */
export function watchProjection(providers: ProviderWatch[], now: Date, postcheckAt: Date | null) {
  return projectNight({
    now,
    postcheckAt,
    providers: providers
      .filter((p) => p.live > 0)
      .map((p) => ({
        provider: p.provider,
        live: p.live,
        finishedInWindow: p.finishedInWindow,
        windowMinutes: paceWindowMinutes(p, now),
        rpm: p.rpm,
        pausedUntil: p.heldUntil,
      })),
  });
}

/** A provider whose first task is two minutes old has a two-minute window, not a five-minute one. */
function paceWindowMinutes(p: ProviderWatch, now: Date): number {
  const since = p.firstCreatedAt ? (now.getTime() - p.firstCreatedAt.getTime()) / 60_000 : 0;
  return Math.max(Math.min(RATE_WINDOW_MINUTES, since), 1 / 60);
}

/** A night with work left that nobody can move: no finish lately, or a provider without a worker. */
export function stallDecision(
  providers: ProviderWatch[],
  settings: WatchSettings,
  now: Date,
): Extract<WarningDecision, { kind: 'stalled' }> | undefined {
  const working = providers.filter((p) => p.live > 0);
  if (working.length === 0) return undefined;
  const firstCreated = minDate(working.map((p) => p.firstCreatedAt));
  const lastFinished = maxDate(providers.map((p) => p.lastFinishedAt));
  const since = lastFinished ?? firstCreated;
  if (!since) return undefined;
  const quietMinutes = (now.getTime() - since.getTime()) / 60_000;
  // A worker coming up at the trigger needs a moment to heartbeat before its absence means much.
  const settled = firstCreated !== null && now.getTime() - firstCreated.getTime() >= 60_000;
  const workerless = working.filter((p) => p.enabled && p.pending > 0 && p.liveWorkers === 0);
  if (quietMinutes < settings.stallMinutes && !(settled && workerless.length > 0)) return undefined;
  const holders = working
    .map((p) => ({ provider: p.provider, live: p.live, reason: stallReason(p, now) }))
    .filter((h) => quietMinutes >= settings.stallMinutes || h.reason.kind === 'no_worker');
  return { kind: 'stalled', since, live: working.reduce((n, p) => n + p.live, 0), holders };
}

function stallReason(p: ProviderWatch, now: Date): HoldReason {
  if (p.liveWorkers === 0) return { kind: 'no_worker' };
  if (p.heldUntil && isHeld(p, now)) return { kind: 'paused', until: p.heldUntil, reason: p.pauseReason };
  return { kind: 'no_progress' };
}

export function lateFinishDecision(
  projection: NightProjection,
  settings: WatchSettings,
): Extract<WarningDecision, { kind: 'late_finish' }> | undefined {
  const { finishAt, postcheckAt, holdUp } = projection;
  if (!finishAt || !postcheckAt || !holdUp) return undefined;
  if (finishAt.getTime() - postcheckAt.getTime() <= settings.lateMarginMinutes * 60_000) return undefined;
  return { kind: 'late_finish', projection, holder: holderOf(holdUp) };
}

/** Why the provider that finishes last is slow, in the projection's terms. */
export function holderOf(p: NightProjection['providers'][number]): Holder {
  const reason: HoldReason =
    p.basis === 'paused' && p.pausedUntil
      ? { kind: 'paused', until: p.pausedUntil, reason: null }
      : p.basis === 'no_pace'
        ? { kind: 'no_progress' }
        : p.atLimit
          ? { kind: 'at_limit', rpm: p.rpm }
          : { kind: 'slow', perMinute: p.perMinute };
  return { provider: p.provider, live: p.live, reason };
}

/** Every decision of one look, given what was raised before. */
export function decideWarnings(input: {
  providers: ProviderWatch[];
  raised: RaisedWarning[];
  settings: WatchSettings;
  now: Date;
  postcheckAt: Date | null;
}): { decisions: WarningDecision[]; projection: NightProjection } {
  const { providers, raised, settings, now, postcheckAt } = input;
  const find = (kind: WarningKind, subject: string) =>
    raised.find((r) => r.kind === kind && r.subject === subject);
  const decisions: WarningDecision[] = [];
  for (const p of providers) {
    const decision = providerDecision(p, find('provider_failing', p.provider), settings, now);
    if (decision) decisions.push(decision);
  }
  if (!find('stalled', '')) {
    const stall = stallDecision(providers, settings, now);
    if (stall) decisions.push(stall);
  }
  const projection = watchProjection(providers, now, postcheckAt);
  if (!find('late_finish', '')) {
    const late = lateFinishDecision(projection, settings);
    if (late) decisions.push(late);
  }
  return { decisions, projection };
}

/** Units of a failing provider that will miss the postcheck: not reached, or reached and failing. */
export function unitsAtRisk(projection: NightProjection, provider: string, rate: number, now: Date): number {
  const p = projection.providers.find((x) => x.provider === provider);
  if (!p || p.live === 0) return 0;
  const { postcheckAt } = projection;
  if (!postcheckAt) return Math.round(p.live * rate);
  const minutes = Math.max(0, (postcheckAt.getTime() - now.getTime()) / 60_000);
  const reached = Math.min(p.live, Math.floor(p.perMinute * minutes));
  return p.live - reached + Math.round(reached * rate);
}

const minDate = (dates: (Date | null)[]) =>
  dates.reduce<Date | null>((m, d) => (d && (!m || d < m) ? d : m), null);
const maxDate = (dates: (Date | null)[]) =>
  dates.reduce<Date | null>((m, d) => (d && (!m || d > m) ? d : m), null);
