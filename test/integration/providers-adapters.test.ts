import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config.ts';
import { createAnthropicAdapter } from '../../src/providers/anthropic.ts';
import { createGeminiAdapter } from '../../src/providers/gemini.ts';
import { type AdapterOptions, createOpenAiAdapter } from '../../src/providers/openai.ts';
import { createPerplexityAdapter } from '../../src/providers/perplexity.ts';
import {
  type ErrorClass,
  PROVIDER_NAMES,
  type ProviderAdapter,
  ProviderError,
  type ProviderName,
  RETRYABLE,
} from '../../src/providers/types.ts';
import { ANTHROPIC_SERVED_MODEL } from '../support/fake-providers/anthropic.ts';
import { GEMINI_SERVED_MODEL } from '../support/fake-providers/gemini.ts';
import {
  EXPECTED_PATH,
  type FakeProvider,
  fakeProviderConfig,
  type Scenario,
  START_FAKE,
} from '../support/fake-providers/index.ts';
import { OPENAI_SERVED_MODEL } from '../support/fake-providers/openai.ts';
import { PERPLEXITY_SERVED_MODEL } from '../support/fake-providers/perplexity.ts';

/**
 * Each real adapter against a loopback server that speaks its provider's wire format: the right
 * request goes out, each answer maps to the right class and fields, the SDK never retries on its
 * own (the server sees exactly one request), and the API key never shows in an error.
 */

const FACTORY: Record<ProviderName, (c: ProviderConfig, o: AdapterOptions) => ProviderAdapter> = {
  openai: createOpenAiAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
  perplexity: createPerplexityAdapter,
};

const SERVED: Record<ProviderName, { model: string; tokensIn: number; tokensOut: number }> = {
  openai: { model: OPENAI_SERVED_MODEL, tokensIn: 12, tokensOut: 7 },
  anthropic: { model: ANTHROPIC_SERVED_MODEL, tokensIn: 16, tokensOut: 9 },
  gemini: { model: GEMINI_SERVED_MODEL, tokensIn: 8, tokensOut: 14 },
  perplexity: { model: PERPLEXITY_SERVED_MODEL, tokensIn: 6, tokensOut: 21 },
};

/** A timeout long enough never to fire by accident; the hang cases pass a short one per call. */
const OPTIONS: AdapterOptions = { defaultTimeoutMs: 20_000 };

interface ErrorCase {
  scenario: Scenario;
  errorClass: ErrorClass;
  status?: number | ((p: ProviderName) => number);
  retryAfterMs?: number;
  timeoutMs?: number;
}

const ERROR_CASES: ErrorCase[] = [
  { scenario: 'unauthorized', errorClass: 'auth', status: 401 },
  { scenario: 'forbidden', errorClass: 'auth', status: 403 },
  { scenario: 'rate_limited', errorClass: 'rate_limited', status: 429, retryAfterMs: 2000 },
  { scenario: 'rate_limited_ms', errorClass: 'rate_limited', status: 429, retryAfterMs: 1500 },
  {
    scenario: 'quota',
    errorClass: 'quota',
    status: (p) => ({ anthropic: 400, perplexity: 402 })[p as 'anthropic'] ?? 429,
  },
  { scenario: 'bad_request', errorClass: 'bad_request', status: 400 },
  { scenario: 'server_error', errorClass: 'server', status: 500 },
  { scenario: 'unavailable', errorClass: 'server', status: 503 },
  { scenario: 'overloaded', errorClass: 'server', status: (p) => (p === 'anthropic' ? 529 : 503) },
  { scenario: 'hang', errorClass: 'timeout', timeoutMs: 300 },
  { scenario: 'hang_body', errorClass: 'timeout', timeoutMs: 300 },
  { scenario: 'malformed', errorClass: 'server' },
  { scenario: 'reset', errorClass: 'network' },
];

async function rejectionOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function expectNoKey(error: ProviderError, key: string) {
  const visible = `${error.message} ${error.stack ?? ''} ${JSON.stringify({ ...error })}`;
  expect(visible).not.toContain(key);
}

describe.each(PROVIDER_NAMES.map((name) => ({ name })))('$name adapter', ({ name }) => {
  let fake: FakeProvider;
  let adapter: ProviderAdapter;
  let config: ProviderConfig;

  beforeAll(async () => {
    fake = await START_FAKE[name]();
    config = fakeProviderConfig(fake);
    adapter = FACTORY[name](config, OPTIONS);
  });
  afterAll(() => fake.close());
  afterEach(() => {
    fake.requests.length = 0;
    fake.queue.length = 0;
    fake.scenario = 'success';
  });

  it('sends one well-formed request and returns the text, model, tokens and rate-limit hint', async () => {
    const answer = await adapter.ask('What is the capital of France?');
    expect(answer.text).toContain('What is the capital of France?');
    expect(answer.model).toBe(SERVED[name].model);
    expect(answer.tokensIn).toBe(SERVED[name].tokensIn);
    expect(answer.tokensOut).toBe(SERVED[name].tokensOut);
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    expect(adapter.simulated).toBe(false);
    expect(adapter.model).toBe(config.model);

    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(EXPECTED_PATH[name](config.model));
    const body = request?.body as Record<string, unknown>;
    if (name === 'gemini') {
      expect(request?.headers['x-goog-api-key']).toBe(fake.apiKey);
      expect((body.generationConfig as Record<string, unknown>).maxOutputTokens).toBe(256);
    } else if (name === 'anthropic') {
      // SDK 1.x sends the key as Bearer (API version 2026-10-21); older ones as x-api-key.
      const sent = request?.headers['x-api-key'] ?? request?.headers.authorization?.replace(/^Bearer /, '');
      expect(sent).toBe(fake.apiKey);
      expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(body).toMatchObject({ model: config.model, max_tokens: 256 });
    } else {
      expect(request?.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
      expect(body.model).toBe(config.model);
      // OpenAI wants max_completion_tokens now; Perplexity documents max_tokens.
      const field = name === 'openai' ? 'max_completion_tokens' : 'max_tokens';
      const other = name === 'openai' ? 'max_tokens' : 'max_completion_tokens';
      expect(body[field]).toBe(256);
      expect(body).not.toHaveProperty(other);
    }

    if (name === 'openai') {
      expect(answer.rateLimit).toEqual({
        remainingRequests: 499,
        remainingTokens: 199_970,
        resetRequestsMs: 120,
        resetTokensMs: 360_000,
      });
    } else if (name === 'anthropic') {
      expect(answer.rateLimit?.remainingRequests).toBe(49);
      expect(answer.rateLimit?.remainingTokens).toBe(9000);
      expect(answer.rateLimit?.resetRequestsMs).toBeGreaterThan(0);
      expect(answer.rateLimit?.resetRequestsMs).toBeLessThanOrEqual(1000);
    } else if (name === 'perplexity') {
      expect(answer.rateLimit).toEqual({ remainingRequests: 49, resetRequestsMs: 1000 });
    } else {
      expect(answer.rateLimit).toBeUndefined();
    }
  });

  it.each(ERROR_CASES)('maps $scenario to $errorClass without retrying', async (c) => {
    fake.scenario = c.scenario;
    const error = await rejectionOf(
      adapter.ask('Hello there', c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
    );
    expect(error.errorClass).toBe(c.errorClass);
    const status = typeof c.status === 'function' ? c.status(name) : c.status;
    expect(error.status).toBe(status);
    if (c.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(c.retryAfterMs);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).toContain(name);
    expectNoKey(error, fake.apiKey);
    expect(fake.requests).toHaveLength(1);
  });

  it('a 200 with an empty answer is empty_answer (retried), not a success', async () => {
    fake.scenario = 'empty_answer';
    const error = await rejectionOf(adapter.ask('Hello there'));
    expect(error.errorClass).toBe('empty_answer');
    expect(error.status).toBe(200);
    expect(error.message).toMatch(new RegExp(`^${name}: empty answer`));
    expect(RETRYABLE.has(error.errorClass)).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('an answer the provider refused, blocked or filtered is content_filtered (failed at once), text or not', async () => {
    fake.scenario = 'blocked';
    const error = await rejectionOf(adapter.ask('Hello there'));
    expect(error.errorClass).toBe('content_filtered');
    expect(error.status).toBe(200);
    const why: Record<ProviderName, RegExp> = {
      openai: /openai: answer blocked \(finish reason stop: I'm sorry, but I can't help with that\.\)/,
      perplexity: /perplexity: answer blocked \(finish reason content_filter\)/,
      anthropic: /anthropic: answer refused \(stop reason refusal\)/,
      gemini: /gemini: answer blocked \(finish reason SAFETY\)/,
    };
    expect(error.message).toMatch(why[name]);
    expect(RETRYABLE.has(error.errorClass)).toBe(false);
    if (name === 'gemini') {
      const prompt = await rejectionOf(adapter.ask('Hello [block the prompt]'));
      expect(prompt.errorClass).toBe('content_filtered');
      expect(prompt.message).toBe('gemini: answer blocked (prompt blocked: SAFETY)');
    }
  });

  it.runIf(name === 'openai' || name === 'anthropic')(
    'carries the limit headers of a 429 on the error',
    async () => {
      fake.scenario = 'rate_limited';
      const error = await rejectionOf(adapter.ask('Hello there'));
      expect(error.rateLimit?.remainingRequests).toBe(0);
      expect(error.rateLimit?.resetRequestsMs).toBeGreaterThan(0);
      expect(error.rateLimit?.resetRequestsMs).toBeLessThanOrEqual(2000);
    },
  );

  it('reads Retry-After given as an HTTP date', async () => {
    fake.scenario = 'rate_limited_date';
    const error = await rejectionOf(adapter.ask('Hello there'));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it('reports a wrong API key as auth, without echoing it', async () => {
    const wrongKey = `${fake.apiKey}-wrong`;
    const wrong = FACTORY[name]({ ...config, apiKey: wrongKey }, OPTIONS);
    const error = await rejectionOf(wrong.ask('Hello there'));
    expect(error.errorClass).toBe('auth');
    expect(error.status).toBe(name === 'gemini' ? 400 : 401);
    expectNoKey(error, wrongKey);
  });

  it('reports a refused connection as network', async () => {
    const closed = await START_FAKE[name]();
    await closed.close();
    const refused = FACTORY[name](fakeProviderConfig(closed), OPTIONS);
    const error = await rejectionOf(refused.ask('Hello there'));
    expect(error.errorClass).toBe('network');
    expectNoKey(error, closed.apiKey);
  });

  it('stops when the caller aborts, as a retryable network error', async () => {
    fake.scenario = 'hang';
    const controller = new AbortController();
    const pending = adapter.ask('Hello there', { signal: controller.signal });
    controller.abort();
    const error = await rejectionOf(pending);
    expect(error.errorClass).toBe('network');
    expect(error.message).toContain('aborted');

    // A caller that aborts with its own ProviderError (the worker's timer) gets that one back.
    const timer = new AbortController();
    const second = adapter.ask('Hello there', { signal: timer.signal });
    const reason = new ProviderError('timeout', 'no answer within 5 ms');
    timer.abort(reason);
    expect(await rejectionOf(second)).toBe(reason);
  });

  it('answers again after a failure (the client keeps no broken state)', async () => {
    fake.queue.push('reset', 'server_error');
    await rejectionOf(adapter.ask('one'));
    await rejectionOf(adapter.ask('two'));
    const answer = await adapter.ask('three');
    expect(answer.text).toContain('three');
    expect(fake.requests).toHaveLength(3);
  });
});

describe('base URLs', () => {
  it('accepts OPENAI_BASE_URL as a bare origin as well as with /v1', async () => {
    const fake = await START_FAKE.openai();
    try {
      for (const baseUrl of [fake.origin, `${fake.origin}/`, `${fake.origin}/v1`, `${fake.origin}/v1/`]) {
        const adapter = createOpenAiAdapter(fakeProviderConfig(fake, { baseUrl }), OPTIONS);
        await adapter.ask('hi');
      }
      expect(fake.requests.map((r) => r.path)).toEqual(Array(4).fill('/v1/chat/completions'));
    } finally {
      await fake.close();
    }
  });

  it('sends an unknown path to a 404 that maps to bad_request', async () => {
    const fake = await START_FAKE.perplexity();
    try {
      const adapter = createPerplexityAdapter(
        fakeProviderConfig(fake, { baseUrl: `${fake.origin}/v2` }),
        OPTIONS,
      );
      const error = await rejectionOf(adapter.ask('hi'));
      expect(error.errorClass).toBe('bad_request');
      expect(error.status).toBe(404);
    } finally {
      await fake.close();
    }
  });
});
