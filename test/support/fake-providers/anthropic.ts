import { bearerOf, header, type ProviderWire, startFakeProvider, type WireReply } from './fake-server.ts';
import { chatPrompt } from './openai.ts';

/**
 * POST /v1/messages with the key (`x-api-key` or Bearer) and `anthropic-version`, answering as
 * the Anthropic API does: usage, anthropic-ratelimit-* headers (RFC 3339 resets), and errors in its
 * `{ type: 'error', error: { type, message }, request_id }` envelope, 529 when overloaded.
 */

const envelope = (type: string, message: string) => ({
  type: 'error',
  error: { type, message },
  request_id: 'req_fake_anthropic',
});

export const ANTHROPIC_SERVED_MODEL = 'claude-haiku-4-5-20251001';

const inSeconds = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

export const anthropicWire: ProviderWire = {
  provider: 'anthropic',
  matches: (r) => r.method === 'POST' && r.path === '/v1/messages' && Boolean(header(r, 'anthropic-version')),
  // The API takes the key as x-api-key or, as SDK 1.x (API version 2026-10-21) sends it, Bearer.
  apiKeyOf: (r) => header(r, 'x-api-key') ?? bearerOf(r),
  modelOf: (r) => (r.body as { model?: string } | undefined)?.model,
  promptOf: chatPrompt,
  success(request, now) {
    return {
      status: 200,
      headers: {
        'request-id': 'req_fake_1',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': inSeconds(now, 1),
        'anthropic-ratelimit-tokens-limit': '50000',
        'anthropic-ratelimit-tokens-remaining': '49000',
        'anthropic-ratelimit-tokens-reset': inSeconds(now, 2),
        'anthropic-ratelimit-input-tokens-remaining': '39000',
        'anthropic-ratelimit-output-tokens-remaining': '9000',
      },
      body: {
        id: 'msg_fake_1',
        type: 'message',
        role: 'assistant',
        model: ANTHROPIC_SERVED_MODEL,
        content: [{ type: 'text', text: `anthropic answers: ${chatPrompt(request)}` }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: 14,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 2,
          output_tokens: 9,
        },
      },
    };
  },
  emptyAnswer(request, now) {
    const reply = this.success(request, now);
    return { ...reply, body: { ...(reply.body as object), content: [], stop_reason: 'end_turn' } };
  },
  blockedAnswer(request, now) {
    // The streaming classifiers stop a refused answer with stop_reason refusal, partial text kept.
    const reply = this.success(request, now);
    return {
      ...reply,
      body: {
        ...(reply.body as object),
        content: [{ type: 'text', text: 'Here is' }],
        stop_reason: 'refusal',
      },
    };
  },
  error(scenario, now): WireReply {
    const rateLimited = envelope(
      'rate_limit_error',
      'This request would exceed the rate limit for your organization of 50 requests per minute.',
    );
    const limitHeaders = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': inSeconds(now, 2),
    };
    switch (scenario) {
      case 'unauthorized':
        return { status: 401, body: envelope('authentication_error', 'invalid x-api-key') };
      case 'forbidden':
        return {
          status: 403,
          body: envelope(
            'permission_error',
            'Your API key does not have permission to use the specified resource.',
          ),
        };
      case 'rate_limited':
        return { status: 429, headers: { 'retry-after': '2', ...limitHeaders }, body: rateLimited };
      case 'quota':
        return {
          status: 400,
          body: envelope(
            'invalid_request_error',
            'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
          ),
        };
      case 'bad_request':
        return { status: 400, body: envelope('invalid_request_error', 'max_tokens: Field required') };
      case 'server_error':
        return { status: 500, body: envelope('api_error', 'Internal server error') };
      case 'unavailable':
        return { status: 503, body: envelope('api_error', 'Service unavailable') };
      case 'overloaded':
        return { status: 529, body: envelope('overloaded_error', 'Overloaded') };
    }
  },
  notFound: () => ({ status: 404, body: envelope('not_found_error', 'Not found') }),
};

export const startFakeAnthropic = (apiKey = 'sk-ant-fake-key-0123456789') =>
  startFakeProvider(anthropicWire, { apiKey, baseUrl: (origin) => origin });
