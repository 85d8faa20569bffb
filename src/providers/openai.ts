import OpenAI from 'openai';
import type { ProviderConfig } from '../config.ts';
import { providerCall } from './provider-call.ts';
import { rateLimitHint } from './rate-limit-headers.ts';
import { type ProviderAdapter, type ProviderAnswer, ProviderError, type ProviderName } from './types.ts';

/** What every real adapter factory receives besides its provider's config. */
export interface AdapterOptions {
  /** Used when ask() is given no timeoutMs (config.worker.providerTimeoutMs). */
  defaultTimeoutMs: number;
  /** For Retry-After HTTP dates and RFC 3339 resets; the system clock by default. */
  clock?: () => Date;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * `OPENAI_BASE_URL` may be given as the SDK wants it (`https://host/v1`) or, like the other
 * providers' base URLs, as a bare origin: a URL with no path gets `/v1`.
 */
export function openAiBaseUrl(configured: string | undefined): string {
  if (!configured) return OPENAI_BASE_URL;
  const url = new URL(configured);
  return url.pathname === '/' || url.pathname === '' ? `${url.origin}/v1` : configured.replace(/\/+$/, '');
}

export interface ChatCompletionsFlavor {
  name: ProviderName;
  baseUrl: string;
  /**
   * OpenAI deprecated `max_tokens` for `max_completion_tokens` (the reasoning models reject
   * `max_tokens`); Perplexity's OpenAI-compatible API still documents `max_tokens`.
   */
  tokenLimitField: 'max_completion_tokens' | 'max_tokens';
}

/** One user message through POST {baseUrl}/chat/completions: OpenAI, and Perplexity's compatible API. */
export function createChatCompletionsAdapter(
  config: ProviderConfig,
  flavor: ChatCompletionsFlavor,
  options: AdapterOptions,
): ProviderAdapter {
  const apiKey = config.apiKey ?? '';
  const clock = options.clock ?? (() => new Date());
  // Every value passed explicitly: left undefined, the SDK would read OPENAI_* from process.env.
  const client = new OpenAI({
    apiKey,
    baseURL: flavor.baseUrl,
    organization: null,
    project: null,
    maxRetries: 0, // the pipeline's retry policy governs
    timeout: options.defaultTimeoutMs,
  });
  const ctx = { provider: flavor.name, timeoutMs: options.defaultTimeoutMs, secrets: [apiKey], clock };

  return {
    name: flavor.name,
    model: config.model,
    simulated: false,
    async ask(prompt, askOptions = {}) {
      const { value, latencyMs } = await providerCall(ctx, askOptions, (signal, timeout) =>
        client.chat.completions
          .create(
            {
              model: config.model,
              messages: [{ role: 'user', content: prompt }],
              [flavor.tokenLimitField]: config.maxOutputTokens,
            },
            { signal, timeout, maxRetries: 0 },
          )
          .withResponse(),
      );
      const { data, response } = value;
      return answerOf(flavor.name, config.model, data, latencyMs, rateLimitHint(response.headers, clock()));
    },
  };
}

/** A 200 whose body is not a chat completion (an HTML page, a proxy's JSON) is the provider's fault. */
function answerOf(
  provider: ProviderName,
  configuredModel: string,
  data: unknown,
  latencyMs: number,
  rateLimit: ProviderAnswer['rateLimit'],
): ProviderAnswer {
  const completion = data as Partial<OpenAI.Chat.ChatCompletion> | undefined;
  const choice = typeof completion === 'object' ? completion?.choices?.[0] : undefined;
  if (!choice) {
    throw new ProviderError('server', `${provider}: the response held no completion`, { status: 200 });
  }
  const text = choice.message?.content ?? '';
  const finish = choice.finish_reason ?? 'unknown';
  const refusal = choice.message?.refusal;
  if (finish === 'content_filter' || refusal) {
    // Retrying the same prompt gets the same refusal or filter: fail it now, with the reason.
    throw new ProviderError(
      'content_filtered',
      `${provider}: answer blocked (finish reason ${finish}${refusal ? `: ${refusal}` : ''})`,
      { status: 200 },
    );
  }
  if (text.trim() === '') {
    throw new ProviderError('empty_answer', `${provider}: empty answer (finish reason ${finish})`, {
      status: 200,
    });
  }
  return {
    text,
    model: completion?.model || configuredModel,
    tokensIn: completion?.usage?.prompt_tokens ?? 0,
    tokensOut: completion?.usage?.completion_tokens ?? 0,
    latencyMs,
    ...(rateLimit ? { rateLimit } : {}),
  };
}

export function createOpenAiAdapter(config: ProviderConfig, options: AdapterOptions): ProviderAdapter {
  return createChatCompletionsAdapter(
    config,
    { name: 'openai', baseUrl: openAiBaseUrl(config.baseUrl), tokenLimitField: 'max_completion_tokens' },
    options,
  );
}
