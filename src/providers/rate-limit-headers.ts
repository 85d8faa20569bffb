import type { RateLimitHint } from './types.ts';

/**
 * Pure parsing of what providers say about their limits, so workers can slow down before a 429
 * and wait exactly as long as asked after one. Header names are case-insensitive.
 */

/** A fetch `Headers`, or a plain record of header values (the Gemini SDK's `sdkHttpResponse`). */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>
  | undefined
  | null;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') {
    const value = (headers as { get(name: string): string | null }).get(name);
    return value === null || value.trim() === '' ? undefined : value.trim();
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== wanted) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' && first.trim() !== '' ? first.trim() : undefined;
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/**
 * A Go-style duration as OpenAI sends in x-ratelimit-reset-* ("1s", "6m0s", "20ms", "1h2m3.5s")
 * and Google in RetryInfo.retryDelay ("37s", "0.5s"). A bare number counts as seconds.
 */
export function parseDurationMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  const total = parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit ?? 's'] ?? 0), 0);
  return Math.round(total);
}

/** Milliseconds until an RFC 3339 / HTTP date, never negative; undefined if unparseable. */
function msUntil(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * How long a 429/503 asks us to wait: `retry-after-ms` (OpenAI's SDKs honour it), else
 * `retry-after` as seconds or an HTTP date (RFC 9110 §10.2.3).
 */
export function retryAfterMs(headers: HeaderSource, now: Date): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const after = headerValue(headers, 'retry-after');
  if (after === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.round(Number(after) * 1000);
  return msUntil(after, now);
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

function minDefined(...values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : Math.min(...present);
}

/**
 * OpenAI and Perplexity: `x-ratelimit-remaining-requests` / `-tokens` with Go-duration
 * `x-ratelimit-reset-*`. Anthropic: `anthropic-ratelimit-requests-remaining` / `-reset`
 * (RFC 3339), and for tokens the most restrictive of the combined, input and output budgets.
 * Undefined when the response carries none of them (Gemini sends none).
 */
export function rateLimitHint(headers: HeaderSource, now: Date): RateLimitHint | undefined {
  const h = (name: string) => headerValue(headers, name);
  const hint: RateLimitHint = {
    remainingRequests:
      count(h('x-ratelimit-remaining-requests')) ?? count(h('anthropic-ratelimit-requests-remaining')),
    remainingTokens:
      count(h('x-ratelimit-remaining-tokens')) ??
      minDefined(
        count(h('anthropic-ratelimit-tokens-remaining')),
        count(h('anthropic-ratelimit-input-tokens-remaining')),
        count(h('anthropic-ratelimit-output-tokens-remaining')),
      ),
    resetRequestsMs:
      parseDurationMs(h('x-ratelimit-reset-requests')) ??
      msUntil(h('anthropic-ratelimit-requests-reset'), now),
    resetTokensMs:
      parseDurationMs(h('x-ratelimit-reset-tokens')) ??
      minDefined(
        msUntil(h('anthropic-ratelimit-tokens-reset'), now),
        msUntil(h('anthropic-ratelimit-input-tokens-reset'), now),
        msUntil(h('anthropic-ratelimit-output-tokens-reset'), now),
      ),
  };
  const present = Object.entries(hint).filter(([, v]) => v !== undefined);
  return present.length === 0 ? undefined : (Object.fromEntries(present) as RateLimitHint);
}
