import { type GenerateContentResponse, GoogleGenAI } from '@google/genai';
import type { ProviderConfig } from '../config.ts';
import type { AdapterOptions } from './openai.ts';
import { headerCapturingFetch, providerCall } from './provider-call.ts';
import { rateLimitHint } from './rate-limit-headers.ts';
import { type ProviderAdapter, ProviderError } from './types.ts';

/** The SDK sends POST {base}/v1beta/models/{model}:generateContent with x-goog-api-key. */
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';

/** @google/genai retries only when retryOptions asks it to; one attempt means none. */
const NO_RETRIES = { attempts: 1 };

export function createGeminiAdapter(config: ProviderConfig, options: AdapterOptions): ProviderAdapter {
  const apiKey = config.apiKey ?? '';
  const clock = options.clock ?? (() => new Date());
  // Explicit values: left undefined, the SDK would read GOOGLE_* / GEMINI_* from process.env
  // (and GOOGLE_GENAI_USE_VERTEXAI could switch it to another API altogether).
  const client = new GoogleGenAI({
    apiKey,
    vertexai: false,
    httpOptions: {
      baseUrl: (config.baseUrl ?? GEMINI_BASE_URL).replace(/\/+$/, ''),
      retryOptions: NO_RETRIES,
      timeout: options.defaultTimeoutMs,
    },
  });

  return {
    name: 'gemini',
    model: config.model,
    simulated: false,
    async ask(prompt, askOptions = {}) {
      // The SDK's ApiError keeps the body but not the headers: a per-call fetch remembers them.
      const capture = headerCapturingFetch();
      const ctx = {
        provider: 'gemini' as const,
        timeoutMs: options.defaultTimeoutMs,
        secrets: [apiKey],
        clock,
        capturedHeaders: capture.headers,
      };
      const { value, latencyMs } = await providerCall(ctx, askOptions, (signal, timeout) =>
        client.models.generateContent({
          model: config.model,
          contents: prompt,
          config: {
            maxOutputTokens: config.maxOutputTokens,
            abortSignal: signal,
            httpOptions: { timeout, retryOptions: NO_RETRIES, fetch: capture.fetch },
          },
        }),
      );
      const text = answerText(value);
      const usage = value.usageMetadata;
      const rateLimit = rateLimitHint(capture.headers(), clock());
      return {
        text,
        model: value.modelVersion || config.model,
        tokensIn: usage?.promptTokenCount ?? 0,
        // Thinking models bill their thoughts as output tokens.
        tokensOut: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
        latencyMs,
        ...(rateLimit ? { rateLimit } : {}),
      };
    },
  };
}

/** Text parts of the first candidate, thoughts excluded; a blocked or empty answer is an error. */
function answerText(response: GenerateContentResponse): string {
  if (!response || typeof response !== 'object') {
    throw new ProviderError('server', 'gemini: the response held no content', { status: 200 });
  }
  const candidate = response.candidates?.[0];
  const blocked = response.promptFeedback?.blockReason;
  if (!candidate && !blocked) {
    throw new ProviderError('server', 'gemini: the response held no candidates', { status: 200 });
  }
  // A blocked prompt or a safety stop answers the same way every time: fail it now, with why,
  // even when a part of the answer came before the stop.
  const finish = candidate?.finishReason;
  if (blocked || (finish && BLOCKED_FINISH.has(finish))) {
    const why = blocked ? `prompt blocked: ${blocked}` : `finish reason ${finish}`;
    throw new ProviderError('content_filtered', `gemini: answer blocked (${why})`, { status: 200 });
  }
  const text = (candidate?.content?.parts ?? [])
    .filter((part) => typeof part.text === 'string' && !part.thought)
    .map((part) => part.text)
    .join('');
  if (text.trim() !== '') return text;
  throw new ProviderError('empty_answer', `gemini: empty answer (finish reason ${finish ?? 'none'})`, {
    status: 200,
  });
}

/** Finish reasons that mean the provider withheld the answer (safety, policy, recitation). */
const BLOCKED_FINISH: ReadonlySet<string> = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
]);
