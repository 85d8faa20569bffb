import {
  header,
  type ProviderWire,
  type RecordedRequest,
  startFakeProvider,
  type WireReply,
} from './fake-server.ts';

/**
 * POST /v1beta/models/{model}:generateContent with `x-goog-api-key` (or `?key=`), answering as
 * the Gemini API does: usageMetadata and modelVersion, and errors in Google's
 * `{ error: { code, message, status, details } }` envelope: RESOURCE_EXHAUSTED with QuotaFailure
 * and RetryInfo, 400 API_KEY_INVALID for a wrong key.
 */

const PATH = /^\/v1beta\/models\/([^/:]+):generateContent$/;

const envelope = (code: number, status: string, message: string, details?: unknown[]) => ({
  error: { code, message, status, ...(details ? { details } : {}) },
});

const QUOTA_SENTENCE =
  'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.';

const quotaFailure = (quotaId: string, quotaValue: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [
    {
      quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests',
      quotaId,
      quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
      quotaValue,
    },
  ],
});
const help = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [
    {
      description: 'Learn more about Gemini API quotas',
      url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
    },
  ],
};
const retryInfo = (delay: string) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay: delay,
});

const promptOf = (request: RecordedRequest): string => {
  const contents = (request.body as { contents?: { parts?: { text?: string }[] }[] } | undefined)?.contents;
  return contents?.[0]?.parts?.[0]?.text ?? '';
};

export const GEMINI_SERVED_MODEL = 'gemini-2.0-flash-001';

export const geminiWire: ProviderWire = {
  provider: 'gemini',
  matches: (r) => r.method === 'POST' && PATH.test(r.path),
  apiKeyOf: (r) => header(r, 'x-goog-api-key') ?? r.query.get('key') ?? undefined,
  modelOf: (r) => PATH.exec(r.path)?.[1],
  promptOf,
  success(request) {
    return {
      status: 200,
      body: {
        candidates: [
          {
            content: { parts: [{ text: `gemini answers: ${promptOf(request)}` }], role: 'model' },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: {
          promptTokenCount: 8,
          candidatesTokenCount: 11,
          thoughtsTokenCount: 3,
          totalTokenCount: 22,
          promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }],
        },
        modelVersion: GEMINI_SERVED_MODEL,
        responseId: 'fake-response-1',
      },
    };
  },
  emptyAnswer(request, now) {
    const reply = this.success(request, now);
    const body = reply.body as Record<string, unknown>;
    return {
      ...reply,
      body: {
        ...body,
        candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      },
    };
  },
  blockedAnswer(request, now) {
    const reply = this.success(request, now);
    const body = reply.body as Record<string, unknown>;
    // A prompt Google refuses to answer at all: no candidate, promptFeedback.blockReason.
    if (promptOf(request).includes('[block the prompt]')) {
      return {
        ...reply,
        body: {
          usageMetadata: body.usageMetadata,
          modelVersion: body.modelVersion,
          promptFeedback: { blockReason: 'SAFETY' },
        },
      };
    }
    // A safety stop: the candidate ends with finishReason SAFETY and the rating that caused it.
    return {
      ...reply,
      body: {
        ...body,
        candidates: [
          {
            content: { parts: [{ text: 'Partial' }], role: 'model' },
            finishReason: 'SAFETY',
            index: 0,
            safetyRatings: [
              { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
            ],
          },
        ],
      },
    };
  },
  error(scenario): WireReply {
    const perMinute = envelope(429, 'RESOURCE_EXHAUSTED', QUOTA_SENTENCE, [
      quotaFailure('GenerateRequestsPerMinutePerProjectPerModel', '2000'),
      help,
      retryInfo('2s'),
    ]);
    switch (scenario) {
      case 'unauthorized':
        return {
          status: 401,
          body: envelope(
            401,
            'UNAUTHENTICATED',
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          ),
        };
      case 'forbidden':
        return {
          status: 403,
          body: envelope(
            403,
            'PERMISSION_DENIED',
            'Your project has been denied access. Please contact support.',
          ),
        };
      case 'rate_limited':
        return { status: 429, body: perMinute };
      case 'quota':
        return {
          status: 429,
          body: envelope(
            429,
            'RESOURCE_EXHAUSTED',
            `${QUOTA_SENTENCE}\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 0`,
            [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '0'), help, retryInfo('37s')],
          ),
        };
      case 'bad_request':
        return {
          status: 400,
          body: envelope(
            400,
            'INVALID_ARGUMENT',
            '* GenerateContentRequest.contents: contents is not specified\n',
          ),
        };
      case 'server_error':
        return {
          status: 500,
          body: envelope(
            500,
            'INTERNAL',
            'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
          ),
        };
      case 'unavailable':
      case 'overloaded':
        return {
          status: 503,
          body: envelope(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
        };
    }
  },
  /** What Google answers for a key that is not valid, instead of a 401. */
  wrongKey: () => ({
    status: 400,
    body: envelope(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
        locale: 'en-US',
        message: 'API key not valid. Please pass a valid API key.',
      },
    ]),
  }),
  notFound: () => ({ status: 404, body: envelope(404, 'NOT_FOUND', 'Requested entity was not found.') }),
};

export const startFakeGemini = (apiKey = 'AIzaFakeGeminiKey0123456789') =>
  startFakeProvider(geminiWire, { apiKey, baseUrl: (origin) => origin });
