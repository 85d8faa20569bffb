import { performance } from 'node:perf_hooks';
import { unlessAborted } from '../time/waits.ts';
import { type ErrorContext, toProviderError } from './classify-error.ts';
import type { HeaderSource } from './rate-limit-headers.ts';
import { type AskOptions, ProviderError, type ProviderName } from './types.ts';

/**
 * The frame around every real SDK call: one deadline and one abort signal, latency measured,
 * and every failure turned into a ProviderError.
 *
 * Our own deadline (AbortSignal.timeout), not only the SDK's `timeout`: the openai and anthropic
 * SDKs stop their timer once the response headers arrive, so a body that stalls would hang the
 * worker. unlessAborted settles at the deadline even if an SDK ignored the abort.
 */

export interface CallContext {
  provider: ProviderName;
  timeoutMs: number;
  secrets: readonly string[];
  clock: () => Date;
  /** Headers seen by a capturing fetch (Gemini errors carry none of their own). */
  capturedHeaders?: () => HeaderSource;
}

export interface CallResult<T> {
  value: T;
  latencyMs: number;
}

export async function providerCall<T>(
  ctx: CallContext,
  options: AskOptions,
  run: (signal: AbortSignal, timeoutMs: number) => Promise<T>,
): Promise<CallResult<T>> {
  // Whole milliseconds of at least 1: the openai and anthropic SDKs reject anything else.
  const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? ctx.timeoutMs));
  const outer = options.signal;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
  const started = performance.now();
  try {
    // The SDK's own timeout stays as a second guard; ours is the one that decides.
    const value = await unlessAborted(run(signal, timeoutMs), signal);
    return { value, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Once our deadline or the caller has aborted, the SDK's own abort error is only an echo.
    const reason = signal.aborted ? abortReason(ctx.provider, outer, timeoutMs) : error;
    const context: ErrorContext = {
      now: ctx.clock(),
      secrets: ctx.secrets,
      headers: ctx.capturedHeaders?.(),
    };
    throw toProviderError(ctx.provider, reason, context);
  }
}

/**
 * Why the call was cut: the caller's own ProviderError reason if it gave one, a timeout at our
 * deadline, else a retryable network error, as the simulated stand-ins report an abort.
 */
function abortReason(
  provider: ProviderName,
  outer: AbortSignal | undefined,
  timeoutMs: number,
): ProviderError {
  if (outer?.aborted) {
    return outer.reason instanceof ProviderError
      ? outer.reason
      : new ProviderError('network', `${provider}: request aborted`);
  }
  return new ProviderError('timeout', `${provider}: no answer within ${timeoutMs} ms`);
}

/** A fetch that remembers the last response's headers, for SDKs whose errors drop them. */
export function headerCapturingFetch(): { fetch: typeof fetch; headers: () => Headers | undefined } {
  let last: Headers | undefined;
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      last = response.headers;
      return response;
    },
    headers: () => last,
  };
}
