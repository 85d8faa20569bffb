import { type ProviderWire, startFakeProvider, type WireReply } from './fake-server.ts';
import { chatPrompt, chatRequest, withFirstChoice } from './openai.ts';

/**
 * POST /chat/completions (no /v1) with `Authorization: Bearer`, answering as Perplexity's
 * OpenAI-compatible API does: usage with search extras and citations; a bad key gets the HTML
 * page of its front proxy, not JSON; other errors use the OpenAI-style envelope with a numeric
 * code. Insufficient credit as 402 is our assumption: Perplexity does not document that shape.
 */

const envelope = (message: string, type: string, code: number) => ({ error: { message, type, code } });

const UNAUTHORIZED_PAGE =
  '<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>openresty/1.25.3.1</center>\r\n</body>\r\n</html>\r\n';

export const PERPLEXITY_SERVED_MODEL = 'sonar';

export const perplexityWire: ProviderWire = {
  provider: 'perplexity',
  matches: (r) => r.method === 'POST' && r.path === '/chat/completions',
  ...chatRequest,
  success(request) {
    return {
      status: 200,
      headers: { 'x-ratelimit-remaining-requests': '49', 'x-ratelimit-reset-requests': '1s' },
      body: {
        id: 'pplx-fake-1',
        model: PERPLEXITY_SERVED_MODEL,
        created: 1_767_225_600,
        object: 'chat.completion',
        usage: {
          prompt_tokens: 6,
          completion_tokens: 21,
          total_tokens: 27,
          search_context_size: 'low',
          cost: { input_tokens_cost: 0, output_tokens_cost: 0, request_cost: 0.005, total_cost: 0.005 },
        },
        citations: ['https://example.com/source'],
        search_results: [{ title: 'Source', url: 'https://example.com/source', date: null }],
        choices: [
          {
            index: 0,
            finish_reason: 'stop',
            message: { role: 'assistant', content: `perplexity answers: ${chatPrompt(request)}` },
          },
        ],
      },
    };
  },
  emptyAnswer(request, now) {
    return withFirstChoice(this.success(request, now), {
      message: { role: 'assistant', content: '' },
      finish_reason: 'stop',
    });
  },
  blockedAnswer(request, now) {
    // OpenAI-compatible: a filtered answer stops with finish_reason content_filter, text or not.
    return withFirstChoice(this.success(request, now), {
      message: { role: 'assistant', content: 'I can' },
      finish_reason: 'content_filter',
    });
  },
  error(scenario): WireReply {
    const rateLimited = envelope('Rate limit exceeded', 'rate_limit_error', 429);
    switch (scenario) {
      case 'unauthorized':
        return { status: 401, body: UNAUTHORIZED_PAGE };
      case 'forbidden':
        return { status: 403, body: envelope('Forbidden', 'permission_error', 403) };
      case 'rate_limited':
        return { status: 429, headers: { 'retry-after': '2' }, body: rateLimited };
      case 'quota':
        return {
          status: 402,
          body: envelope(
            'Insufficient credits. Add credits to your API account to continue.',
            'insufficient_quota',
            402,
          ),
        };
      case 'bad_request':
        return {
          status: 400,
          body: envelope(
            "Invalid model 'sonar-huge'. Permitted models can be found in the documentation.",
            'invalid_model',
            400,
          ),
        };
      case 'server_error':
        return { status: 500, body: envelope('Internal server error', 'internal_server_error', 500) };
      case 'unavailable':
      case 'overloaded':
        return { status: 503, body: envelope('Service temporarily unavailable', 'service_unavailable', 503) };
    }
  },
  notFound: () => ({ status: 404, body: envelope('Not Found', 'not_found', 404) }),
};

export const startFakePerplexity = (apiKey = 'pplx-fake-key-0123456789') =>
  startFakeProvider(perplexityWire, { apiKey, baseUrl: (origin) => origin });
