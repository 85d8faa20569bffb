import { describe, expect, it } from 'vitest';
import { ERROR_CLASSES } from '../../src/providers/types.ts';
import {
  BACKOFF_CAP_MS,
  backoffMs,
  CREDENTIAL_PAUSE_MS,
  DEFAULT_RATE_LIMIT_WAIT_MS,
  MAX_RATE_LIMIT_WAIT_MS,
  pauseReason,
  retryDecision,
} from '../../src/scheduler/retry-policy.ts';

describe('retryDecision', () => {
  it('waits out a 429 for its Retry-After, refunds the attempt and pauses the provider as long', () => {
    expect(retryDecision('rate_limited', 1, 3, 2_000, 0.5)).toEqual({
      action: 'retry',
      delayMs: 2_000,
      refundAttempt: true,
      pauseProviderMs: 2_000,
    });
  });

  it('never fails a 429, even on the last attempt: it did not use one', () => {
    expect(retryDecision('rate_limited', 3, 3, 1_000, 0)).toMatchObject({
      action: 'retry',
      refundAttempt: true,
    });
  });

  it('uses a default wait without Retry-After and caps an absurd one', () => {
    expect(retryDecision('rate_limited', 1, 3, undefined, 0)).toMatchObject({
      delayMs: DEFAULT_RATE_LIMIT_WAIT_MS,
    });
    expect(retryDecision('rate_limited', 1, 3, 86_400_000, 0)).toMatchObject({
      delayMs: MAX_RATE_LIMIT_WAIT_MS,
      pauseProviderMs: MAX_RATE_LIMIT_WAIT_MS,
    });
  });

  it.each(['timeout', 'server', 'network'] as const)(
    'retries %s with growing backoff until max_attempts, then fails',
    (errorClass) => {
      const first = retryDecision(errorClass, 1, 3, undefined, 0);
      const second = retryDecision(errorClass, 2, 3, undefined, 0);
      expect(first).toMatchObject({ action: 'retry', refundAttempt: false, pauseProviderMs: undefined });
      expect(second).toMatchObject({ action: 'retry', refundAttempt: false });
      if (first.action !== 'retry' || second.action !== 'retry') throw new Error('unreachable');
      expect(second.delayMs).toBeGreaterThan(first.delayMs);
      expect(retryDecision(errorClass, 3, 3, undefined, 0)).toEqual({
        action: 'fail',
        pauseProviderMs: undefined,
      });
    },
  );

  it('honours a Retry-After on a 503 when it is longer than the backoff', () => {
    expect(retryDecision('server', 1, 3, 30_000, 0)).toMatchObject({ action: 'retry', delayMs: 30_000 });
  });

  it.each(['auth', 'quota'] as const)('fails %s at once and pauses the provider', (errorClass) => {
    expect(retryDecision(errorClass, 1, 3, undefined, 0.3)).toEqual({
      action: 'fail',
      pauseProviderMs: CREDENTIAL_PAUSE_MS,
    });
  });

  it('fails bad_request at once without pausing anyone', () => {
    expect(retryDecision('bad_request', 1, 3, undefined, 0.3)).toEqual({
      action: 'fail',
      pauseProviderMs: undefined,
    });
  });

  it('retries an empty answer like a server error, and fails a filtered one at once', () => {
    expect(retryDecision('empty_answer', 1, 3, undefined, 0.5)).toEqual(
      retryDecision('server', 1, 3, undefined, 0.5),
    );
    expect(retryDecision('empty_answer', 3, 3, undefined, 0.5).action).toBe('fail');
    expect(retryDecision('content_filtered', 1, 3, undefined, 0.3)).toEqual({
      action: 'fail',
      pauseProviderMs: undefined,
    });
  });

  it('has a decision for every error class', () => {
    for (const errorClass of ERROR_CLASSES) {
      expect(retryDecision(errorClass, 1, 3, undefined, 0.5).action).toMatch(/retry|fail/);
    }
  });
});

describe('backoffMs', () => {
  it('keeps half the step fixed and jitters the other half', () => {
    expect(backoffMs(1, 0)).toBe(500);
    expect(backoffMs(1, 0.999999)).toBe(1_000);
    expect(backoffMs(2, 0)).toBe(1_000);
    expect(backoffMs(3, 0.5)).toBe(3_000);
  });

  it('never exceeds the cap however many attempts', () => {
    expect(backoffMs(40, 1)).toBe(BACKOFF_CAP_MS);
  });
});

describe('pauseReason', () => {
  it('reads as the report shows it: "<class>: <message>"', () => {
    expect(pauseReason('auth', 'invalid x-api-key')).toBe('auth: invalid x-api-key');
    expect(pauseReason('quota', 'x'.repeat(1000)).length).toBe(300);
  });
});
