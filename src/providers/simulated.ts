import { createHash } from 'node:crypto';
import type { SimulatedProfile } from '../config.ts';
import {
  type AskOptions,
  type ErrorClass,
  type ProviderAdapter,
  type ProviderAnswer,
  ProviderError,
  type ProviderName,
} from './types.ts';

/**
 * Deterministic stand-ins for the AI providers (SIMULATED_PROFILE). Every draw comes from a hash
 * of (seed, provider, prompt text, how many times this adapter was asked that prompt, purpose):
 * the same calls in the same order give the same latencies, errors and answers. No Math.random.
 *
 * - ideal: 1-5 ms, never fails.
 * - demo: tens to a few hundred ms, rare retryable errors, and about 2 % of (prompt, provider)
 *   pairs fail their first 3 calls, so a night leaves a few failures that a repair then fixes.
 * - flaky: many retryable errors and some 429s with Retry-After.
 * - outage: like demo without the stubborn failures, but anthropic answers every call with auth.
 *
 * Each adapter also keeps its own requests-per-minute window and answers `rate_limited` with
 * retryAfterMs past it, as a real API does.
 */

export interface SimulatedOptions {
  /** Requests per minute this stand-in accepts; the profile's default otherwise. */
  rpm?: number;
  /** Overrides the profile's latency range. */
  latencyMs?: { min: number; max: number };
  /** Injected for tests: resolves after ms, rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: milliseconds, for the rpm window. */
  clock?: () => number;
  /** Another seed, other prompts chosen to fail. */
  seed?: string;
}

interface ProfileSpec {
  latency: { min: number; max: number };
  /** Probability per call of each error class. */
  errors: Partial<Record<ErrorClass, number>>;
  rpm: number;
  /** Share of (prompt, provider) pairs whose first `calls` calls fail with server or timeout. */
  stubborn: { share: number; calls: number };
  down?: { provider: ProviderName; errorClass: ErrorClass; message: string };
}

const DEMO_ERRORS = { server: 0.01, timeout: 0.005, network: 0.005 };

export const SIMULATED_PROFILE_SPECS: Record<SimulatedProfile, ProfileSpec> = {
  ideal: { latency: { min: 1, max: 5 }, errors: {}, rpm: 1_000_000, stubborn: { share: 0, calls: 0 } },
  demo: {
    latency: { min: 40, max: 600 },
    errors: DEMO_ERRORS,
    rpm: 3_000,
    stubborn: { share: 0.02, calls: 3 },
  },
  flaky: {
    latency: { min: 5, max: 150 },
    errors: { server: 0.15, timeout: 0.05, network: 0.05, rate_limited: 0.03 },
    rpm: 600,
    stubborn: { share: 0, calls: 0 },
  },
  outage: {
    latency: { min: 40, max: 600 },
    errors: DEMO_ERRORS,
    rpm: 3_000,
    stubborn: { share: 0, calls: 0 },
    down: { provider: 'anthropic', errorClass: 'auth', message: 'invalid x-api-key' },
  },
};

const MESSAGES: Record<ErrorClass, string> = {
  rate_limited: '429 Too Many Requests',
  timeout: 'request timed out',
  server: '503 Service Unavailable',
  network: 'ECONNRESET: connection reset by peer',
  auth: '401 invalid API key',
  quota: 'insufficient credit',
  bad_request: '400 Bad Request',
};

export function createSimulatedAdapter(
  name: ProviderName,
  profile: SimulatedProfile,
  options: SimulatedOptions = {},
): ProviderAdapter {
  const spec = SIMULATED_PROFILE_SPECS[profile];
  const latency = options.latencyMs ?? spec.latency;
  const rpm = options.rpm ?? spec.rpm;
  const sleep = options.sleep ?? abortableSleep;
  const clock = options.clock ?? Date.now;
  const seed = options.seed ?? 'sched-bot';
  const callsByPrompt = new Map<string, number>();
  const window: number[] = [];

  const draw = (text: string, call: number, purpose: string) =>
    uniform(`${seed}|${name}|${text}|${call}|${purpose}`);

  return {
    name,
    model: 'simulated',
    simulated: true,
    async ask(prompt: string, ask: AskOptions = {}): Promise<ProviderAnswer> {
      const now = clock();
      while (window.length > 0 && (window[0] as number) <= now - 60_000) window.shift();
      if (window.length >= rpm) {
        const waitMs = (window[0] as number) + 60_000 - now;
        throw new ProviderError('rate_limited', `${MESSAGES.rate_limited}: over ${rpm} requests per minute`, {
          status: 429,
          retryAfterMs: Math.max(1_000, Math.ceil(waitMs / 1000) * 1000),
        });
      }
      window.push(now);
      const call = (callsByPrompt.get(prompt) ?? 0) + 1;
      callsByPrompt.set(prompt, call);

      if (spec.down?.provider === name) {
        await sleep(latency.min, ask.signal);
        throw new ProviderError(spec.down.errorClass, spec.down.message, { status: 401 });
      }
      const ms = Math.round(latency.min + (latency.max - latency.min) * draw(prompt, call, 'latency') ** 2);
      const failure = chooseFailure(
        spec,
        (purpose) => draw(prompt, call, purpose),
        (purpose) => uniform(`${seed}|${name}|${prompt}|${purpose}`),
      );
      const timeoutMs = ask.timeoutMs ?? Number.POSITIVE_INFINITY;
      if (failure === 'timeout' || ms > timeoutMs) {
        const waited = Math.min(timeoutMs, ms * 3);
        await sleep(waited, ask.signal);
        throw new ProviderError('timeout', `${MESSAGES.timeout} after ${waited} ms`);
      }
      await sleep(ms, ask.signal);
      if (failure === 'stubborn' && call <= spec.stubborn.calls) {
        throw new ProviderError('server', `${MESSAGES.server} (call ${call})`, { status: 503 });
      }
      if (failure !== undefined && failure !== 'stubborn') {
        const retryAfterMs =
          failure === 'rate_limited' ? 1_000 + Math.floor(draw(prompt, call, 'retry') * 2_000) : undefined;
        throw new ProviderError(failure, MESSAGES[failure], {
          ...(retryAfterMs ? { retryAfterMs, status: 429 } : {}),
        });
      }
      const tokensOut = 80 + Math.floor(draw(prompt, call, 'tokens') * 320);
      return {
        text: `[simulated ${name}] An answer to "${prompt.slice(0, 80)}" (${tokensOut} tokens).`,
        model: 'simulated',
        tokensIn: Math.ceil(prompt.length / 4),
        tokensOut,
        latencyMs: ms,
      };
    },
  };
}

/**
 * Which failure this call gets, if any. A stubborn pair fails its first calls with `server`
 * whatever else happens (the draw that picks it ignores the call number), then always succeeds.
 */
function chooseFailure(
  spec: ProfileSpec,
  perCall: (purpose: string) => number,
  perPair: (purpose: string) => number,
): ErrorClass | 'stubborn' | undefined {
  if (spec.stubborn.share > 0 && perPair('stubborn') < spec.stubborn.share) return 'stubborn';
  let u = perCall('error');
  for (const [errorClass, p] of Object.entries(spec.errors) as [ErrorClass, number][]) {
    if (u < p) return errorClass;
    u -= p;
  }
  return undefined;
}

/** A number in [0, 1) from a string: the only source of chance here. */
export function uniform(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = () => new ProviderError('network', 'request aborted');
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
