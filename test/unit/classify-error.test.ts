import { APIError as AnthropicApiError } from '@anthropic-ai/sdk';
import { ApiError as GeminiApiError } from '@google/genai';
import { APIError as OpenAiApiError } from 'openai';
import { describe, expect, it } from 'vitest';
import {
  classifyHttpFailure,
  classifyTransport,
  compact,
  type HttpFailure,
  toProviderError,
} from '../../src/providers/classify-error.ts';
import { parseDurationMs, rateLimitHint, retryAfterMs } from '../../src/providers/rate-limit-headers.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { scrubSecrets } from '../../src/secrets.ts';

/** Pure rules on the error shapes the four providers really send. */

const NOW = new Date('2026-03-08T07:30:00.000Z');
const failure = (f: Partial<HttpFailure> & { status: number }): HttpFailure => ({ message: '', ...f });
const classOf = (f: Partial<HttpFailure> & { status: number }) =>
  classifyHttpFailure(failure(f), NOW).errorClass;

const googleError = (code: number, status: string, message: string, details?: unknown[]) =>
  new GeminiApiError({
    status: code,
    message: JSON.stringify({ error: { code, message, status, details } }),
  });
const quotaFailure = (quotaId: string, quotaValue: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [
    { quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId, quotaValue },
  ],
});
const retryInfo = (retryDelay: string) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay,
});
const GOOGLE_QUOTA_SENTENCE = 'You exceeded your current quota, please check your plan and billing details.';

const ctx = { now: NOW, secrets: ['sk-secret-key-123456'] };

describe('classifyHttpFailure', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [429, 'rate_limited'],
    [402, 'quota'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [413, 'bad_request'],
    [422, 'bad_request'],
    [408, 'timeout'],
    [500, 'server'],
    [502, 'server'],
    [503, 'server'],
    [529, 'server'],
  ] as const)('status %i alone is %s', (status, expected) => {
    expect(classOf({ status })).toBe(expected);
  });

  it('tells OpenAI insufficient quota (429) from a rate limit (429)', () => {
    expect(classOf({ status: 429, type: 'insufficient_quota', codes: ['insufficient_quota'] })).toBe('quota');
    expect(classOf({ status: 429, type: 'requests', codes: ['rate_limit_exceeded'] })).toBe('rate_limited');
    expect(classOf({ status: 429, codes: ['billing_not_active'] })).toBe('quota');
  });

  it('finds Anthropic billing in a 400 by its sentence, and in a 402 / billing_error', () => {
    const message =
      'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
    expect(classOf({ status: 400, type: 'invalid_request_error', message })).toBe('quota');
    expect(classOf({ status: 402, type: 'billing_error', message: 'Payment required' })).toBe('quota');
    expect(classOf({ status: 400, codes: ['enforced_spend_limit_reached'] })).toBe('quota');
    expect(
      classOf({ status: 400, type: 'invalid_request_error', message: 'max_tokens: Field required' }),
    ).toBe('bad_request');
  });

  it('separates Google RESOURCE_EXHAUSTED per minute (rate) from per day, zero limit or no credit (quota)', () => {
    const base = { status: 429, apiStatus: 'RESOURCE_EXHAUSTED', message: GOOGLE_QUOTA_SENTENCE };
    const perMinute = classifyHttpFailure(
      failure({
        ...base,
        details: [quotaFailure('GenerateRequestsPerMinutePerProjectPerModel', '2000'), retryInfo('37s')],
      }),
      NOW,
    );
    expect(perMinute).toEqual({ errorClass: 'rate_limited', retryAfterMs: 37_000 });
    expect(
      classOf({ ...base, details: [quotaFailure('GenerateRequestsPerDayPerProjectPerModel', '1500')] }),
    ).toBe('quota');
    expect(
      classOf({
        ...base,
        details: [quotaFailure('GenerateContentInputTokensPerModelPerMinute-FreeTier', '0')],
      }),
    ).toBe('quota');
    expect(
      classOf({
        ...base,
        message:
          'Your prepayment credits are depleted. Please go to AI Studio to manage your project and billing.',
      }),
    ).toBe('quota');
    // The same billing sentence without any violation: Google sends it for plain rate limits too.
    expect(classOf(base)).toBe('rate_limited');
  });

  it('treats Google API_KEY_INVALID (a 400) and PERMISSION_DENIED as auth', () => {
    expect(classOf({ status: 400, apiStatus: 'INVALID_ARGUMENT', codes: ['API_KEY_INVALID'] })).toBe('auth');
    expect(classOf({ status: 403, apiStatus: 'PERMISSION_DENIED' })).toBe('auth');
    expect(classOf({ status: 400, apiStatus: 'INVALID_ARGUMENT', codes: [] })).toBe('bad_request');
  });

  it('carries the wait and the limit headers of any answer', () => {
    const headers = new Headers({ 'retry-after': '30', 'x-ratelimit-remaining-requests': '0' });
    expect(classifyHttpFailure(failure({ status: 503, headers }), NOW)).toEqual({
      errorClass: 'server',
      retryAfterMs: 30_000,
      rateLimit: { remainingRequests: 0 },
    });
  });
});

describe('rate-limit headers', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5s', 500],
    ['37', 37_000],
    ['soon', undefined],
    ['1x', undefined],
    ['', undefined],
  ])('parseDurationMs(%j) = %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it('prefers retry-after-ms, then retry-after seconds, then an HTTP date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '1500', 'retry-after': '2' }), NOW)).toBe(1500);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), NOW)).toBe(2000);
    const date = new Date(NOW.getTime() + 5000).toUTCString();
    expect(retryAfterMs(new Headers({ 'retry-after': date }), NOW)).toBe(5000);
    const past = new Date(NOW.getTime() - 5000).toUTCString();
    expect(retryAfterMs({ 'Retry-After': past }, NOW)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after': 'whenever' }), NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
  });

  it('reads OpenAI x-ratelimit-* and Anthropic anthropic-ratelimit-* headers', () => {
    expect(
      rateLimitHint(
        new Headers({
          'x-ratelimit-remaining-requests': '4',
          'x-ratelimit-reset-requests': '6m0s',
          'x-ratelimit-remaining-tokens': '100',
          'x-ratelimit-reset-tokens': '250ms',
        }),
        NOW,
      ),
    ).toEqual({ remainingRequests: 4, remainingTokens: 100, resetRequestsMs: 360_000, resetTokensMs: 250 });
    expect(
      rateLimitHint(
        {
          'anthropic-ratelimit-requests-remaining': '7',
          'anthropic-ratelimit-requests-reset': new Date(NOW.getTime() + 12_000).toISOString(),
          'anthropic-ratelimit-input-tokens-remaining': '900',
          'anthropic-ratelimit-output-tokens-remaining': '300',
        },
        NOW,
      ),
    ).toEqual({ remainingRequests: 7, remainingTokens: 300, resetRequestsMs: 12_000 });
    expect(rateLimitHint(new Headers({ 'content-type': 'application/json' }), NOW)).toBeUndefined();
  });
});

describe('classifyTransport', () => {
  const fetchFailed = (code: string) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

  it.each([
    ['ECONNREFUSED', 'network'],
    ['ECONNRESET', 'network'],
    ['ENOTFOUND', 'network'],
    ['EAI_AGAIN', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
  ] as const)('a fetch failure caused by %s is %s', (code, expected) => {
    expect(classifyTransport(fetchFailed(code)).errorClass).toBe(expected);
  });

  it('calls a body that is not JSON a server fault', () => {
    expect(classifyTransport(new SyntaxError('Unexpected end of JSON input')).errorClass).toBe('server');
  });
});

describe('toProviderError on the SDKs own error objects', () => {
  it('openai: 429 insufficient_quota and 429 with retry-after-ms', () => {
    const quota = OpenAiApiError.generate(
      429,
      {
        error: {
          message: 'You exceeded your current quota',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        },
      },
      undefined,
      new Headers(),
    );
    expect(toProviderError('openai', quota, ctx)).toMatchObject({ errorClass: 'quota', status: 429 });
    const rate = OpenAiApiError.generate(
      429,
      { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
      undefined,
      new Headers({ 'retry-after-ms': '250', 'retry-after': '1' }),
    );
    const error = toProviderError('openai', rate, ctx);
    expect(error).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 250 });
    expect(error.message).toBe('openai 429: Rate limit reached');
  });

  it('anthropic: 529 overloaded, 402 billing', () => {
    const overloaded = AnthropicApiError.generate(
      529,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
    );
    expect(toProviderError('anthropic', overloaded, ctx)).toMatchObject({
      errorClass: 'server',
      status: 529,
      message: 'anthropic 529: Overloaded',
    });
    const billing = AnthropicApiError.generate(
      402,
      { type: 'error', error: { type: 'billing_error', message: 'Your organization is out of credits.' } },
      undefined,
      new Headers(),
    );
    expect(toProviderError('anthropic', billing, ctx).errorClass).toBe('quota');
  });

  it('gemini: the stringified envelope is parsed; a non-JSON body still classifies by status', () => {
    const error = toProviderError(
      'gemini',
      googleError(429, 'RESOURCE_EXHAUSTED', GOOGLE_QUOTA_SENTENCE, [retryInfo('2s')]),
      ctx,
    );
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, retryAfterMs: 2000 });
    const html = new GeminiApiError({ status: 502, message: '<html><title>502 Bad Gateway</title></html>' });
    expect(toProviderError('gemini', html, ctx)).toMatchObject({
      errorClass: 'server',
      message: 'gemini 502: 502 Bad Gateway',
    });
  });

  it('never lets a configured secret through, and passes ProviderErrors on unchanged', () => {
    const leaky = OpenAiApiError.generate(
      401,
      { error: { message: 'Incorrect API key provided: sk-secret-key-123456.', code: 'invalid_api_key' } },
      undefined,
      new Headers(),
    );
    const error = toProviderError('openai', leaky, ctx);
    expect(error.errorClass).toBe('auth');
    expect(error.message).not.toContain('sk-secret-key-123456');
    expect(error.message).toContain('[redacted]');
    const own = new ProviderError('timeout', 'openai: no answer within 5 ms');
    expect(toProviderError('openai', own, ctx)).toBe(own);
  });

  it('redacts before shortening, so no half key survives the 300-character limit', () => {
    const secret = 'k'.repeat(40);
    const text = `${'x'.repeat(280)}${secret}`;
    expect(compact(scrubSecrets(text, [secret]))).not.toContain('kkkk');
    expect(compact('<html><head><title>401 Authorization Required</title></head><body>…</body></html>')).toBe(
      '401 Authorization Required',
    );
  });
});
