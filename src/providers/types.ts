/** The contract every AI provider adapter (real SDK or simulated) fulfils. */
import type { ProviderName } from '../provider-names.ts';

export { isProviderName, PROVIDER_NAMES, type ProviderName } from '../provider-names.ts';

/** Error classes decide retries. */
export const ERROR_CLASSES = [
  'rate_limited',
  'timeout',
  'server',
  'network',
  'auth',
  'quota',
  'bad_request',
  /** A 200 without answer text: a success must be a usable answer; retried like a server error. */
  'empty_answer',
  /** The provider marked the answer blocked, filtered or refused: deterministic, so failed at once. */
  'content_filtered',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Retryable classes go back to pending with backoff; the others fail the task at once. */
export const RETRYABLE: ReadonlySet<ErrorClass> = new Set([
  'rate_limited',
  'timeout',
  'server',
  'network',
  'empty_answer',
]);
/** These classes pause the provider for every worker, with a reason the report shows. */
export const PAUSES_PROVIDER: ReadonlySet<ErrorClass> = new Set(['rate_limited', 'auth', 'quota']);

/** What the provider told us about its limits, to slow down before a 429 (x-ratelimit-* headers). */
export interface RateLimitHint {
  remainingRequests?: number;
  remainingTokens?: number;
  /** Milliseconds until the request budget resets. */
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

export interface ProviderAnswer {
  text: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  rateLimit?: RateLimitHint;
}

export class ProviderError extends Error {
  readonly errorClass: ErrorClass;
  readonly status: number | undefined;
  /** For rate_limited: how long to wait, from retry-after-ms, retry-after or the provider's own field. */
  readonly retryAfterMs: number | undefined;
  readonly rateLimit: RateLimitHint | undefined;

  constructor(
    errorClass: ErrorClass,
    message: string,
    options: { status?: number; retryAfterMs?: number; rateLimit?: RateLimitHint; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.errorClass = errorClass;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.rateLimit = options.rateLimit;
  }
}

export interface AskOptions {
  signal?: AbortSignal;
  /** Per-call timeout in milliseconds; an expired call is a `timeout` ProviderError. */
  timeoutMs?: number;
  /** Which unit and attempt this call is for (workers pass it; real adapters ignore it). */
  unit?: AskUnit;
}

/** The task behind a call: the simulated providers derive their failures from it alone. */
export interface AskUnit {
  runDate: string;
  promptId: string;
  /** The task's attempt number, 1 for its first claim (a refunded attempt is asked again). */
  attempt: number;
  /** Why the task's job exists: a repair is a new task whose attempts start again at 1. */
  source: 'nightly' | 'repair' | 'rerun' | 'manual';
}

export interface ProviderAdapter {
  readonly name: ProviderName;
  readonly model: string;
  /** true for the deterministic stand-ins: their answers are stored with model `simulated`. */
  readonly simulated: boolean;
  /** Resolves with an answer or rejects with a ProviderError (never any other error type). */
  ask(prompt: string, options?: AskOptions): Promise<ProviderAnswer>;
}
