import {
  bearerOf,
  type FakeProvider,
  type ProviderWire,
  type RecordedRequest,
  startFakeProvider,
  type WireReply,
} from './fake-server.ts';

/**
 * POST /v1/chat/completions with `Authorization: Bearer`, answering as the OpenAI API does:
 * usage, x-ratelimit-* headers, and errors in its `{ error: { message, type, param, code } }`
 * envelope.
 */

const envelope = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

export const chatPrompt = (request: RecordedRequest): string => {
  const messages = (request.body as { messages?: { content?: unknown }[] } | undefined)?.messages;
  const content = messages?.[0]?.content;
  return typeof content === 'string' ? content : '';
};

export const chatModel = (request: RecordedRequest): string | undefined =>
  (request.body as { model?: string } | undefined)?.model;

/** Where a chat-completions request carries its key, model and prompt (OpenAI and Perplexity). */
export const chatRequest = { apiKeyOf: bearerOf, modelOf: chatModel, promptOf: chatPrompt };

/** The reply with its first choice changed: an empty or refused answer in the success shape. */
export function withFirstChoice(reply: WireReply, choice: Record<string, unknown>): WireReply {
  const body = reply.body as { choices: Record<string, unknown>[] };
  return { ...reply, body: { ...body, choices: [{ ...body.choices[0], ...choice }] } };
}

export const OPENAI_SERVED_MODEL = 'gpt-4o-mini-2024-07-18';

export const openAiWire: ProviderWire = {
  provider: 'openai',
  matches: (r) => r.method === 'POST' && r.path === '/v1/chat/completions',
  ...chatRequest,
  success(request) {
    const prompt = chatPrompt(request);
    return {
      status: 200,
      headers: {
        'x-request-id': 'req_fake_1',
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '199970',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      body: {
        id: 'chatcmpl-fake1',
        object: 'chat.completion',
        created: 1_767_225_600,
        model: OPENAI_SERVED_MODEL,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `openai answers: ${prompt}`, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
        system_fingerprint: 'fp_fake',
      },
    };
  },
  emptyAnswer(request, now) {
    return withFirstChoice(this.success(request, now), {
      message: { role: 'assistant', content: '', refusal: null },
      finish_reason: 'stop',
    });
  },
  blockedAnswer(request, now) {
    // A refusal: no content, the model's sentence in message.refusal.
    return withFirstChoice(this.success(request, now), {
      message: { role: 'assistant', content: null, refusal: "I'm sorry, but I can't help with that." },
      finish_reason: 'stop',
    });
  },
  error(scenario): WireReply {
    const rateLimited = envelope(
      'Rate limit reached for gpt-4o-mini in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
      'requests',
      'rate_limit_exceeded',
    );
    const limitHeaders = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' };
    switch (scenario) {
      case 'unauthorized':
        return {
          status: 401,
          body: envelope(
            'Incorrect API key provided: sk-fake***********wxyz. You can find your API key at https://platform.openai.com/account/api-keys.',
            'invalid_request_error',
            'invalid_api_key',
          ),
        };
      case 'forbidden':
        return {
          status: 403,
          body: envelope(
            'Country, region, or territory not supported',
            'request_forbidden',
            'unsupported_country_region_territory',
          ),
        };
      case 'rate_limited':
        return { status: 429, headers: { 'retry-after': '2', ...limitHeaders }, body: rateLimited };
      case 'quota':
        return {
          status: 429,
          body: envelope(
            'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
            'insufficient_quota',
            'insufficient_quota',
          ),
        };
      case 'bad_request':
        return {
          status: 400,
          body: envelope(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            'invalid_request_error',
            'unsupported_parameter',
            'max_tokens',
          ),
        };
      case 'server_error':
        return {
          status: 500,
          body: envelope(
            'The server had an error while processing your request. Sorry about that!',
            'server_error',
            null,
          ),
        };
      case 'unavailable':
      case 'overloaded':
        return {
          status: 503,
          body: envelope('The engine is currently overloaded, please try again later.', 'server_error', null),
        };
    }
  },
  notFound: () => ({
    status: 404,
    body: envelope('Invalid URL (POST /wrong)', 'invalid_request_error', null),
  }),
};

export const startFakeOpenAi = (apiKey = 'sk-fake-openai-key-0123456789wxyz') =>
  startFakeProvider(openAiWire, { apiKey, baseUrl: (origin) => `${origin}/v1` });

export type { FakeProvider };
