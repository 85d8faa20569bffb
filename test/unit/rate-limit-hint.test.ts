import { describe, expect, it } from 'vitest';
import { hintPauseMs } from '../../src/scheduler/rate-limit-hint.ts';

describe('hintPauseMs', () => {
  it('says nothing while budget is left or the headers are absent', () => {
    expect(hintPauseMs(undefined)).toBeUndefined();
    expect(hintPauseMs({})).toBeUndefined();
    expect(hintPauseMs({ remainingRequests: 3, resetRequestsMs: 5_000 })).toBeUndefined();
    expect(hintPauseMs({ remainingRequests: 0 })).toBeUndefined();
  });

  it('holds the provider until the spent budget resets', () => {
    expect(hintPauseMs({ remainingRequests: 0, resetRequestsMs: 1_500 })).toEqual({
      ms: 1_500,
      reason: 'rate_limited: request budget used up until the provider resets it',
    });
  });

  it('takes the longer of a spent request and token budget, capped at a minute', () => {
    expect(
      hintPauseMs({ remainingRequests: 0, resetRequestsMs: 2_000, remainingTokens: 0, resetTokensMs: 9_000 })
        ?.ms,
    ).toBe(9_000);
    expect(hintPauseMs({ remainingTokens: 0, resetTokensMs: 3_600_000 })?.ms).toBe(60_000);
  });
});
