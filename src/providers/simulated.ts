import { createHash } from 'node:crypto';
import type { SimulatedProfile } from '../config.ts';
import { waitUnlessAborted } from '../time/waits.ts';
import {
  type AskOptions,
  type ErrorClass,
  type ProviderAdapter,
  type ProviderAnswer,
  ProviderError,
  type ProviderName,
} from './types.ts';

/**
 * Deterministic stand-ins for the AI providers (SIMULATED_PROFILE). No Math.random: every draw
 * comes from a hash. When the worker says which unit a call is for (`AskOptions.unit`), a call's
 * latency, error and answer are a pure function of (seed, profile, provider, run_date, prompt id,
 * the task's source, its attempt number): any process, on any machine, tells the same story of a
 * night, and a repair heals the same units whoever runs it. Without a unit (provider checks,
 * tests) the key is the prompt text and how many times this adapter was asked it.
 *
 * - ideal: 1-5 ms, never fails.
 * - demo: tens to a few hundred ms, rare retryable errors, and about 2 % of (run_date, prompt,
 *   provider) units are *stubborn*: every attempt of their nightly task fails (so a night leaves a
 *   few failures), and the first attempt of any later task (repair, rerun, manual) succeeds.
 *   The rule keys on the task's source because a repair creates a new task whose attempts start
 *   again at 1: keyed on the attempt alone, a repair would replay the night's failures forever.
 * - flaky: many retryable errors and some 429s with Retry-After.
 * - outage: like demo without the stubborn failures, but anthropic answers every call with auth.
 * With SIMULATED_FAILING (any profile), the providers it names also fail 40 % of calls with a 500.
 *
 * Each adapter also enforces its requests per minute as real APIs do, per second rather than per
 * minute: rpm / 60 calls a second with a burst of a quarter second's worth plus two (a token
 * bucket). Past it, `rate_limited` (429) with retryAfterMs, the wait until a call is allowed
 * again in whole seconds like a Retry-After header (the only draw that depends on the process).
 */

export interface SimulatedOptions {
  /** Requests per minute this stand-in accepts; the profile's default otherwise. */
  rpm?: number;
  /** Overrides the profile's latency range. */
  latencyMs?: { min: number; max: number };
  /** Injected for tests: resolves after ms, rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: milliseconds, for the rpm limit. */
  clock?: () => number;
  /** Another seed, other prompts chosen to fail. */
  seed?: string;
  /** SIMULATED_FAILING: this provider also answers FAILING_SHARE of its calls with HTTP 500. */
  failing?: boolean;
}

/** The share of calls a SIMULATED_FAILING provider fails: well past the early warning's 20 %. */
export const FAILING_SHARE = 0.4;

interface ProfileSpec {
  latency: { min: number; max: number };
  /** Probability per call of each error class. */
  errors: Partial<Record<ErrorClass, number>>;
  rpm: number;
  /**
   * Share of units that fail with `server` on each of their first `calls` nightly attempts (and
   * for calls without a unit, their first `calls` calls); never on another source's task.
   */
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
  empty_answer: 'empty answer (finish reason stop)',
  content_filtered: 'answer blocked (finish reason content_filter)',
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
  const callsByKey = new Map<string, number>();
  const limit = new RateLimit(rpm, clock());

  return {
    name,
    model: 'simulated',
    simulated: true,
    async ask(prompt: string, ask: AskOptions = {}): Promise<ProviderAnswer> {
      const waitMs = limit.take(clock());
      if (waitMs > 0) {
        throw new ProviderError('rate_limited', `${MESSAGES.rate_limited}: over ${rpm} requests per minute`, {
          status: 429,
          retryAfterMs: Math.ceil(waitMs / 1000) * 1000,
        });
      }
      const unit = ask.unit;
      // The unit's key, or the prompt text for calls outside a night.
      const pairKey = unit ? `${unit.runDate}|${unit.promptId}` : prompt;
      const callKey = unit ? `${pairKey}|${unit.source}|${unit.attempt}` : prompt;
      // Asked the same key again: a call without a unit, or an attempt refunded after a 429 or a
      // shutdown. Counting repeats lets a refunded attempt draw anew instead of hitting the same
      // 429 for ever; a unit's first ask of each attempt draws the same in every process.
      const repeat = (callsByKey.get(callKey) ?? 0) + 1;
      callsByKey.set(callKey, repeat);
      const call = unit ? `${callKey}|${repeat}` : `${prompt}|${repeat}`;
      const draw = (purpose: string) => uniform(`${seed}|${name}|${call}|${purpose}`);
      // Stubborn units fail their nightly attempts whatever their number; without a unit the
      // first `calls` calls of a prompt fail, as before.
      const stubbornCall = unit
        ? unit.source === 'nightly' && unit.attempt <= spec.stubborn.calls
        : repeat <= spec.stubborn.calls;

      if (spec.down?.provider === name) {
        await sleep(latency.min, ask.signal);
        throw new ProviderError(spec.down.errorClass, spec.down.message, { status: 401 });
      }
      const ms = Math.round(latency.min + (latency.max - latency.min) * draw('latency') ** 2);
      const failure = chooseFailure(spec, draw, (purpose) =>
        uniform(`${seed}|${name}|${pairKey}|${purpose}`),
      );
      const timeoutMs = ask.timeoutMs ?? Number.POSITIVE_INFINITY;
      if (failure === 'timeout' || ms > timeoutMs) {
        const waited = Math.min(timeoutMs, ms * 3);
        await sleep(waited, ask.signal);
        throw new ProviderError('timeout', `${MESSAGES.timeout} after ${waited} ms`);
      }
      await sleep(ms, ask.signal);
      if (failure === 'stubborn' && stubbornCall) {
        const which = unit ? `${unit.source} attempt ${unit.attempt}` : `call ${repeat}`;
        throw new ProviderError('server', `${MESSAGES.server} (${which})`, { status: 503 });
      }
      if (options.failing && draw('failing') < FAILING_SHARE) {
        throw new ProviderError('server', '500 Internal Server Error', { status: 500 });
      }
      if (failure !== undefined && failure !== 'stubborn') {
        const retryAfterMs =
          failure === 'rate_limited' ? 1_000 + Math.floor(draw('retry') * 2_000) : undefined;
        throw new ProviderError(failure, MESSAGES[failure], {
          ...(retryAfterMs ? { retryAfterMs, status: 429 } : {}),
        });
      }
      const tokensOut = 80 + Math.floor(draw('tokens') * 320);
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
 * A provider's own rate limit, the way APIs enforce an rpm: a bucket of
 * `rpm / 240 + 2` calls refilled at rpm / 60 a second. Calls paced at the rpm always pass, with
 * room for a quarter second of jitter in when they leave; a burst past that does not.
 */
export class RateLimit {
  private readonly perMs: number;
  private readonly capacity: number;
  private tokens: number;

  constructor(
    rpm: number,
    private at: number,
  ) {
    this.perMs = rpm / 60_000;
    this.capacity = rpm / 240 + 2;
    this.tokens = this.capacity;
  }

  /** 0 when a call at `now` is allowed (and counted); otherwise the ms until one would be. */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.at) * this.perMs);
    this.at = Math.max(this.at, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs));
  }
}

/**
 * Which failure this call gets, if any. A stubborn unit fails its nightly calls with `server`
 * whatever else happens (the draw that picks it ignores the attempt), and succeeds on any other.
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

/** The simulated latency; an abort ends it as a dropped request would. */
async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!(await waitUnlessAborted(ms, signal))) throw new ProviderError('network', 'request aborted');
}
