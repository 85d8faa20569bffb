import type { RateLimitHint } from '../providers/types.ts';

/** Longest pause a header may impose: a bad reset value must not stop a provider for the night. */
const MAX_HINT_PAUSE_MS = 60_000;

/**
 * Pure: how long to hold a provider back after an answer whose rate-limit headers say the budget
 * is spent (x-ratelimit-remaining-requests: 0 and its reset), so workers slow down before the
 * provider answers 429. undefined when there is budget left or the headers said nothing.
 */
export function hintPauseMs(hint: RateLimitHint | undefined): { ms: number; reason: string } | undefined {
  if (!hint) return undefined;
  const waits: { ms: number; reason: string }[] = [];
  if (
    hint.remainingRequests !== undefined &&
    hint.remainingRequests <= 0 &&
    (hint.resetRequestsMs ?? 0) > 0
  ) {
    waits.push({
      ms: hint.resetRequestsMs as number,
      reason: 'request budget used up until the provider resets it',
    });
  }
  if (hint.remainingTokens !== undefined && hint.remainingTokens <= 0 && (hint.resetTokensMs ?? 0) > 0) {
    waits.push({
      ms: hint.resetTokensMs as number,
      reason: 'token budget used up until the provider resets it',
    });
  }
  const longest = waits.sort((a, b) => b.ms - a.ms)[0];
  return (
    longest && { ms: Math.min(longest.ms, MAX_HINT_PAUSE_MS), reason: `rate_limited: ${longest.reason}` }
  );
}
