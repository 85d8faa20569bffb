import type { Holder, HoldReason } from '../scheduler/early-warning-rules.ts';
import { holderOf } from '../scheduler/early-warning-rules.ts';
import type { NightProjection } from '../scheduler/night-projection.ts';
import { count, plural } from './format.ts';

/**
 * The projected finish in words, the same for Slack and the terminal (the caller says how a time
 * is written): "at the current pace: 03:52, before the 04:00 postcheck", or "will not finish
 * before the postcheck: about 04:40; Perplexity at its 50 rpm limit holds it up".
 */

export type TimeWords = (instant: Date) => string;

const TITLES: Record<string, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
  perplexity: 'Perplexity',
};

export const capitalize = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** A provider's name as a sentence names it. */
export const providerTitle = (provider: string) => TITLES[provider] ?? provider;

export function holdReasonWords(reason: HoldReason, time: TimeWords): string {
  switch (reason.kind) {
    case 'no_worker':
      return 'no live worker can call it';
    case 'paused':
      return `paused until ${time(reason.until)}${reason.reason ? ` (${reason.reason})` : ''}`;
    case 'at_limit':
      return `at its ${count(reason.rpm)} rpm limit`;
    case 'no_progress':
      return 'finished nothing lately';
    case 'slow':
      return `at ${count(Math.round(reason.perMinute))} units/min`;
  }
}

export const holderWords = (h: Holder, time: TimeWords) =>
  `${providerTitle(h.provider)} ${holdReasonWords(h.reason, time)}`;

/** One sentence, capitalised by the caller where it starts a line; undefined when nothing is live. */
export function projectionWords(projection: NightProjection, time: TimeWords): string | undefined {
  const { finishAt, postcheckAt, holdUp } = projection;
  if (projection.live === 0 || !holdUp) return undefined;
  if (!finishAt) {
    return `no projected finish yet: ${providerTitle(holdUp.provider)} finished nothing in the last few minutes (${plural(holdUp.live, 'unit')} left)`;
  }
  const holder = holderWords(holderOf(holdUp), time);
  if (!postcheckAt) return `at the current pace: ${time(finishAt)}; ${holder} sets the pace`;
  if (finishAt <= postcheckAt)
    return `at the current pace: ${time(finishAt)}, before the ${time(postcheckAt)} postcheck`;
  return `will not finish before the ${time(postcheckAt)} postcheck: about ${time(finishAt)}; ${holder} holds it up`;
}
