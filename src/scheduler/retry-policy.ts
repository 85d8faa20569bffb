import type { ErrorClass } from '../providers/types.ts';

/**
 * What a worker does with a failed provider call. Pure: the worker applies it.
 *
 * - `rate_limited`: back to pending after Retry-After, the attempt is refunded, and the provider
 *   is paused for every worker for the same wait.
 * - `timeout`, `server`, `network`: back to pending with exponential backoff and jitter until
 *   max_attempts, then failed.
 * - `auth`, `quota`: failed at once and the provider is paused (the key or the credit will not
 *   fix itself in seconds); `bad_request`: failed at once.
 * - `empty_answer` (a 200 with no text) is retried like a server error; `content_filtered` (a
 *   refusal, a safety block) answers the same every time, so it fails at once.
 */

export type RetryDecision =
  | { action: 'retry'; delayMs: number; refundAttempt: boolean; pauseProviderMs: number | undefined }
  | { action: 'fail'; pauseProviderMs: number | undefined };

/** First retry after about this long, doubling each attempt. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 60_000;
/** A 429 without Retry-After waits this long. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;
/** A Retry-After past this is treated as this: one bad header must not park a provider for a day. */
export const MAX_RATE_LIMIT_WAIT_MS = 10 * 60_000;
/** auth and quota pause the provider this long; the next probe after it tells whether it was fixed. */
export const CREDENTIAL_PAUSE_MS = 15 * 60_000;

/**
 * @param attempts attempts made so far, the failed one included (the claim counted it)
 * @param random a number in [0, 1): the jitter, passed in so tests pin it
 */
export function retryDecision(
  errorClass: ErrorClass,
  attempts: number,
  maxAttempts: number,
  retryAfterMs: number | undefined,
  random: number,
): RetryDecision {
  switch (errorClass) {
    case 'rate_limited': {
      const wait = clamp(retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, 0, MAX_RATE_LIMIT_WAIT_MS);
      return { action: 'retry', delayMs: wait, refundAttempt: true, pauseProviderMs: wait };
    }
    case 'timeout':
    case 'server':
    case 'network':
    case 'empty_answer': {
      if (attempts >= maxAttempts) return { action: 'fail', pauseProviderMs: undefined };
      return {
        action: 'retry',
        delayMs: Math.max(backoffMs(attempts, random), clamp(retryAfterMs ?? 0, 0, MAX_RATE_LIMIT_WAIT_MS)),
        refundAttempt: false,
        pauseProviderMs: undefined,
      };
    }
    case 'auth':
    case 'quota':
      return { action: 'fail', pauseProviderMs: CREDENTIAL_PAUSE_MS };
    case 'bad_request':
    case 'content_filtered':
      return { action: 'fail', pauseProviderMs: undefined };
  }
}

/**
 * "Equal jitter": half the exponential step is fixed, half random, so retries of tasks that
 * failed together (a provider blip) spread out instead of returning as one burst.
 */
export function backoffMs(attempts: number, random: number): number {
  const step = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(step / 2 + (step / 2) * clamp(random, 0, 1));
}

/** The reason stored on the provider row; the report prints "<provider> ... PAUSED: <reason>". */
export function pauseReason(errorClass: ErrorClass, message: string): string {
  return `${errorClass}: ${message}`.slice(0, 300);
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
