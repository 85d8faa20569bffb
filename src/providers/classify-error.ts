import { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import { ApiError as GeminiApiError } from '@google/genai';
import { APIError as OpenAiApiError } from 'openai';
import { scrubSecrets } from '../secrets.ts';
import { type HeaderSource, parseDurationMs, rateLimitHint, retryAfterMs } from './rate-limit-headers.ts';
import { type ErrorClass, ProviderError, type ProviderName, type RateLimitHint } from './types.ts';

/**
 * Turns whatever an SDK throws into a ProviderError whose class decides retries.
 * The rules work on a normalized `HttpFailure`, so they are pure and shared by all providers;
 * only `httpFailureOf` knows the SDKs' error types.
 */

export interface HttpFailure {
  status: number;
  headers?: HeaderSource;
  /** The provider's own sentence (error.message in its envelope), or the raw body when not JSON. */
  message: string;
  /** OpenAI / Perplexity `error.type`, Anthropic `error.type`. */
  type?: string | null;
  /** OpenAI `error.code`, Anthropic `error.details.error_code`, Google ErrorInfo `reason`s. */
  codes?: (string | null | undefined)[];
  /** Google's canonical status: RESOURCE_EXHAUSTED, PERMISSION_DENIED, ... */
  apiStatus?: string;
  /** Google's `error.details` (QuotaFailure, RetryInfo, ErrorInfo ...). */
  details?: unknown[];
}

export interface Classification {
  errorClass: ErrorClass;
  retryAfterMs?: number;
  rateLimit?: RateLimitHint;
}

/** Codes and types that mean "no credit left" rather than "too fast" (OpenAI, Anthropic, OpenAI-compatible). */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_error',
  'billing_not_active',
  'billing_hard_limit_reached',
  'contract_spend_limit_reached',
  'enforced_spend_limit_reached',
  'linked_organization_spend_limit_reached',
  'linked_organization_billing_unavailable',
]);
/**
 * Billing sentences. Deliberately not "exceeded your current quota": Google sends that sentence
 * with every RESOURCE_EXHAUSTED, including plain per-minute rate limits.
 */
const QUOTA_TEXT =
  /credit balance is too low|insufficient[ _](credits?|funds|balance|quota)|prepay(ment)? credits|credits (are|have been) (depleted|exhausted)|purchase (more )?credits|enable billing|spend(ing)? limit/i;
const AUTH_CODES = new Set([
  'invalid_api_key',
  'API_KEY_INVALID',
  'API_KEY_SERVICE_BLOCKED',
  'UNAUTHENTICATED',
]);

const typeOf = (value: unknown, key: string): string | undefined => {
  const v = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : undefined;
};
const detailsOfType = (details: unknown[] | undefined, suffix: string) =>
  (details ?? []).filter((d) => typeOf(d, '@type')?.endsWith(suffix));

/**
 * Google's RESOURCE_EXHAUSTED covers both "too fast" and "no quota left". A QuotaFailure on a
 * per-day quota, a quota whose value is 0 (free tier unavailable) or a prepaid-credit message
 * will not clear within a retry window: that is `quota`. Per-minute limits are `rate_limited`.
 */
function googleQuotaExhausted(failure: HttpFailure): boolean {
  if (QUOTA_TEXT.test(failure.message)) return true;
  const violations = detailsOfType(failure.details, 'google.rpc.QuotaFailure').flatMap((d) => {
    const v = (d as { violations?: unknown }).violations;
    return Array.isArray(v) ? v : [];
  });
  return violations.some(
    (v) => /PerDay/i.test(typeOf(v, 'quotaId') ?? '') || typeOf(v, 'quotaValue') === '0',
  );
}

/** Google RetryInfo.retryDelay ("37s"), the provider's own wait field. */
function googleRetryDelayMs(details: unknown[] | undefined): number | undefined {
  for (const info of detailsOfType(details, 'google.rpc.RetryInfo')) {
    const ms = parseDurationMs(typeOf(info, 'retryDelay'));
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** Pure: the class of an HTTP error response, with the wait it asks for and its limit headers. */
export function classifyHttpFailure(failure: HttpFailure, now: Date): Classification {
  const { status } = failure;
  const codes = [failure.type, ...(failure.codes ?? [])].filter((c): c is string => Boolean(c));
  const wait = retryAfterMs(failure.headers, now) ?? googleRetryDelayMs(failure.details);
  const rateLimit = rateLimitHint(failure.headers, now);
  const result = (errorClass: ErrorClass): Classification => ({
    errorClass,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  });

  const clientError = status >= 400 && status < 500;
  if (failure.apiStatus === 'RESOURCE_EXHAUSTED') {
    return result(googleQuotaExhausted(failure) ? 'quota' : 'rate_limited');
  }
  if (
    status === 402 ||
    (clientError && (codes.some((c) => QUOTA_CODES.has(c)) || QUOTA_TEXT.test(failure.message)))
  ) {
    return result('quota');
  }
  if (
    status === 401 ||
    status === 403 ||
    failure.apiStatus === 'PERMISSION_DENIED' ||
    failure.apiStatus === 'UNAUTHENTICATED' ||
    codes.some((c) => AUTH_CODES.has(c))
  ) {
    return result('auth');
  }
  if (status === 429) return result('rate_limited');
  if (status === 408) return result('timeout');
  if (clientError) return result('bad_request');
  return result('server');
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * Pure: the class of a failure that never produced an HTTP status. A body that is not valid
 * JSON (SyntaxError) is `server`: the request reached the provider and was accepted, then the
 * provider or a proxy in front of it sent a broken body; that is transient, and failing the task
 * at once as `bad_request` would turn a proxy hiccup into a permanent gap.
 */
export function classifyTransport(error: unknown): { errorClass: ErrorClass; detail: string } {
  for (const link of causeChain(error)) {
    const code = typeOf(link, 'code');
    if (code && TIMEOUT_CODES.has(code)) return { errorClass: 'timeout', detail: code };
    if (code && NETWORK_CODES.has(code)) return { errorClass: 'network', detail: code };
    const name = typeOf(link, 'name') ?? '';
    if (name === 'TimeoutError' || name === 'APIConnectionTimeoutError' || /timed? ?out/i.test(name)) {
      return { errorClass: 'timeout', detail: 'timed out' };
    }
    if (link instanceof SyntaxError)
      return { errorClass: 'server', detail: 'malformed JSON in the response body' };
  }
  const first = causeChain(error)[0];
  const message = typeOf(first, 'message') ?? String(error);
  if (/fetch failed|connection error|socket|terminated|network/i.test(message)) {
    return { errorClass: 'network', detail: message };
  }
  return { errorClass: 'server', detail: message };
}

/** One line of at most 300 characters; an HTML error page (a proxy's) is reduced to its title. */
export function compact(text: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
  return (title ?? text)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** The HTTP facts of an SDK error, or undefined when no response came back. */
export function httpFailureOf(error: unknown, capturedHeaders?: HeaderSource): HttpFailure | undefined {
  if (error instanceof OpenAiApiError && typeof error.status === 'number') {
    // openai keeps the inner `error` object of the envelope; a non-JSON body stays in `message`.
    return {
      status: error.status,
      headers: error.headers,
      message: typeOf(error.error, 'message') ?? error.message.replace(/^\d{3}\s*/, ''),
      type: error.type,
      codes: [error.code],
    };
  }
  if (error instanceof AnthropicApiError && typeof error.status === 'number') {
    return {
      status: error.status,
      headers: error.headers,
      message: error.apiMessage ?? error.message.replace(/^\d{3}\s*/, ''),
      type: error.type,
      codes: [error.errorCode],
    };
  }
  if (error instanceof GeminiApiError) {
    // @google/genai puts the JSON envelope, stringified, in `message` and drops the headers.
    let body: unknown;
    try {
      body = JSON.parse(error.message);
    } catch {
      body = undefined;
    }
    const inner = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
    const details = (inner as { details?: unknown } | undefined)?.details;
    const detailList = Array.isArray(details) ? details : [];
    return {
      status: error.status,
      headers: capturedHeaders,
      message: typeOf(inner, 'message') ?? error.message,
      apiStatus: typeOf(inner, 'status'),
      codes: detailsOfType(detailList, 'google.rpc.ErrorInfo').map((d) => typeOf(d, 'reason')),
      details: detailList,
    };
  }
  return undefined;
}

export interface ErrorContext {
  now: Date;
  /** Values that must never appear in a message (the API key). */
  secrets: readonly string[];
  /** Response headers seen by a capturing fetch, for SDKs whose errors drop them (Gemini). */
  headers?: HeaderSource;
}

/** Any thrown value from an SDK call -> a ProviderError with a class, a wait and a clean message. */
export function toProviderError(provider: ProviderName, error: unknown, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const failure = httpFailureOf(error, ctx.headers);
  if (failure) {
    const c = classifyHttpFailure(failure, ctx.now);
    // Redacted before it is shortened, so a key cut in half by the limit cannot slip through.
    const message = `${provider} ${failure.status}: ${compact(scrubSecrets(failure.message, ctx.secrets))}`;
    return new ProviderError(c.errorClass, message, {
      status: failure.status,
      retryAfterMs: c.retryAfterMs,
      rateLimit: c.rateLimit,
    });
  }
  const { errorClass, detail } = classifyTransport(error);
  return new ProviderError(errorClass, `${provider}: ${compact(scrubSecrets(detail, ctx.secrets))}`);
}
