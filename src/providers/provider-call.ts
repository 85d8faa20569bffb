import { performance } from 'node:perf_hooks';
import { type ErrorContext, toProviderError } from './classify-error.ts';
import type { HeaderSource } from './rate-limit-headers.ts';
import { type AskOptions, ProviderError, type ProviderName } from './types.ts';

/**
 * The frame around every real SDK call: one deadline and one abort signal, latency measured,
 * and every failure turned into a ProviderError.
 *
 * Our own timer, not only the SDK's `timeout`: the openai and anthropic SDKs stop their timer
 * once the response headers arrive, so a body that stalls would hang the worker. The race below
 * settles at the deadline even if an SDK ignored the abort.
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
  const controller = new AbortController();
  const outer = options.signal;
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;

  const stopped = new Promise<never>((_, reject) => {
    const stop = (error: ProviderError) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(
      () => stop(new ProviderError('timeout', `${ctx.provider}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Aborted by the caller: its own ProviderError reason if it gave one (the worker's timer),
    // else a retryable network error, as the simulated stand-ins report it.
    onOuterAbort = () =>
      stop(
        outer?.reason instanceof ProviderError
          ? outer.reason
          : new ProviderError('network', `${ctx.provider}: request aborted`),
      );
    if (outer?.aborted) onOuterAbort();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
  });

  const started = performance.now();
  try {
    // The SDK's own timeout stays as a second guard; ours is the one that decides.
    const value = await Promise.race([run(controller.signal, timeoutMs), stopped]);
    return { value, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Once our timer or the caller has aborted, the SDK's own abort error is only an echo.
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    const context: ErrorContext = {
      now: ctx.clock(),
      secrets: ctx.secrets,
      headers: ctx.capturedHeaders?.(),
    };
    throw toProviderError(ctx.provider, reason, context);
  } finally {
    clearTimeout(timer);
    if (onOuterAbort) outer?.removeEventListener('abort', onOuterAbort);
    stopped.catch(() => {});
  }
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
