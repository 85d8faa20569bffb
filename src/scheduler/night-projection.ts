/**
 * When will tonight finish? Pure: from each provider's live units, how many it finished lately,
 * its rpm limit and its pause, the instant each provider runs out of work and the night's finish
 * (the last of them), compared with the postcheck. Providers run side by side, so the night
 * finishes when its slowest provider does; that provider is the one that holds it up.
 */

export interface ProviderPace {
  provider: string;
  /** Units not finished yet (pending + processing). */
  live: number;
  /** Units that reached a final state (completed or failed) in the last `windowMinutes`. */
  finishedInWindow: number;
  /** Minutes the window covers (shorter than the rate window when the night started lately); > 0. */
  windowMinutes: number;
  /** The provider's requests-per-minute limit: it can never go faster. */
  rpm: number;
  /** Paused (rate limit, key, credit, maintenance) until this instant; null when not paused. */
  pausedUntil: Date | null;
}

/**
 * done: nothing live; pace: the recent rate; paused: the recent rate (or the rpm limit when the
 * pause left no rate) from the pause's end; no_pace: live units and nothing finished lately.
 */
export type PaceBasis = 'done' | 'pace' | 'paused' | 'no_pace';

export interface ProviderProjection {
  provider: string;
  live: number;
  basis: PaceBasis;
  /** Units per minute the projection assumes (0 without a pace). */
  perMinute: number;
  rpm: number;
  /** The recent rate is within 10 % of the rpm limit: the limit, not the provider, sets the pace. */
  atLimit: boolean;
  /** When its last live unit is done; null without a pace. */
  finishAt: Date | null;
  pausedUntil: Date | null;
}

export interface NightProjection {
  /** The last provider's finish; null when nothing is live or a provider with live units has no pace. */
  finishAt: Date | null;
  /** The provider that finishes last (or has no pace), while units are live. */
  holdUp: ProviderProjection | undefined;
  providers: ProviderProjection[];
  live: number;
  postcheckAt: Date | null;
  /** Live units the postcheck would still find live at these paces (0 without a postcheck ahead). */
  unitsLeftAtPostcheck: number;
}

/** A rate this close to the limit is the limit at work. */
const AT_LIMIT_SHARE = 0.9;

export function projectProvider(pace: ProviderPace, now: Date): ProviderProjection {
  const base = { provider: pace.provider, live: pace.live, rpm: pace.rpm, pausedUntil: pace.pausedUntil };
  if (pace.live <= 0) return { ...base, basis: 'done', perMinute: 0, atLimit: false, finishAt: now };
  const observed = pace.windowMinutes > 0 ? pace.finishedInWindow / pace.windowMinutes : 0;
  // Retries and bursts can make the window look faster than the limit allows; it cannot be.
  const rate = Math.min(observed, pace.rpm);
  const paused = pace.pausedUntil !== null && pace.pausedUntil.getTime() > now.getTime();
  if (paused && pace.pausedUntil) {
    // A pause stops the clock; after it, the provider goes at its recent pace, or at best its limit.
    const perMinute = rate > 0 ? rate : pace.rpm;
    return {
      ...base,
      basis: 'paused',
      perMinute,
      atLimit: perMinute >= pace.rpm * AT_LIMIT_SHARE,
      finishAt: after(pace.pausedUntil, pace.live / perMinute),
    };
  }
  if (rate <= 0) return { ...base, basis: 'no_pace', perMinute: 0, atLimit: false, finishAt: null };
  return {
    ...base,
    basis: 'pace',
    perMinute: rate,
    atLimit: rate >= pace.rpm * AT_LIMIT_SHARE,
    finishAt: after(now, pace.live / rate),
  };
}

export function projectNight(input: {
  now: Date;
  providers: ProviderPace[];
  /** The night's postcheck, when it is still ahead; null otherwise. */
  postcheckAt: Date | null;
}): NightProjection {
  const { now, postcheckAt } = input;
  const providers = input.providers.map((p) => projectProvider(p, now));
  const working = providers.filter((p) => p.basis !== 'done');
  const live = working.reduce((n, p) => n + p.live, 0);
  const unpaced = working.find((p) => p.finishAt === null);
  const last = working.reduce<ProviderProjection | undefined>(
    (latest, p) => (!latest || (p.finishAt?.getTime() ?? 0) > (latest.finishAt?.getTime() ?? 0) ? p : latest),
    undefined,
  );
  const holdUp = unpaced ?? last;
  const finishAt = working.length === 0 ? null : unpaced ? null : (last?.finishAt ?? null);
  const ahead = postcheckAt !== null && postcheckAt.getTime() > now.getTime() ? postcheckAt : null;
  const unitsLeftAtPostcheck = ahead ? working.reduce((n, p) => n + leftAt(p, ahead, now), 0) : 0;
  return { finishAt, holdUp, providers, live, postcheckAt: ahead, unitsLeftAtPostcheck };
}

/** Units of a provider still live at `at`: all of them without a pace. */
export function leftAt(p: ProviderProjection, at: Date, now: Date): number {
  if (p.basis === 'done') return 0;
  if (p.perMinute <= 0) return p.live;
  const from = p.basis === 'paused' && p.pausedUntil ? p.pausedUntil : now;
  const minutes = Math.max(0, (at.getTime() - from.getTime()) / 60_000);
  return Math.max(0, Math.ceil(p.live - p.perMinute * minutes));
}

/** The projected finish passes the postcheck ahead (by any margin). */
export const finishesLate = (p: NightProjection) =>
  p.finishAt !== null && p.postcheckAt !== null && p.finishAt > p.postcheckAt;

/** Seconds from now to the projected finish (0 when nothing is live); undefined without a pace. */
export function etaSeconds(projection: NightProjection, now: Date): number | undefined {
  if (projection.live === 0) return 0;
  if (!projection.finishAt) return undefined;
  return Math.max(0, Math.round((projection.finishAt.getTime() - now.getTime()) / 1000));
}

const after = (from: Date, minutes: number) => new Date(from.getTime() + Math.ceil(minutes * 60_000));
