import Anthropic from '@anthropic-ai/sdk';
import type { ProviderConfig } from '../config.ts';
import type { AdapterOptions } from './openai.ts';
import { providerCall } from './provider-call.ts';
import { rateLimitHint } from './rate-limit-headers.ts';
import { type ProviderAdapter, ProviderError } from './types.ts';

/** The SDK appends /v1/messages to this origin and sends the key and anthropic-version. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export function createAnthropicAdapter(config: ProviderConfig, options: AdapterOptions): ProviderAdapter {
  const apiKey = config.apiKey ?? '';
  const clock = options.clock ?? (() => new Date());
  // Explicit values: left undefined, the SDK would read ANTHROPIC_BASE_URL and credentials from
  // process.env. SDK 1.x sends the key as `Authorization: Bearer` (API version 2026-10-21).
  const client = new Anthropic({
    apiKey,
    baseURL: (config.baseUrl ?? ANTHROPIC_BASE_URL).replace(/\/+$/, ''),
    maxRetries: 0, // the pipeline's retry policy governs
    timeout: options.defaultTimeoutMs,
  });
  const ctx = {
    provider: 'anthropic' as const,
    timeoutMs: options.defaultTimeoutMs,
    secrets: [apiKey],
    clock,
  };

  return {
    name: 'anthropic',
    model: config.model,
    simulated: false,
    async ask(prompt, askOptions = {}) {
      const { value, latencyMs } = await providerCall(ctx, askOptions, (signal, timeout) =>
        client.messages
          .create(
            {
              model: config.model,
              max_tokens: config.maxOutputTokens,
              messages: [{ role: 'user', content: prompt }],
            },
            { signal, timeout, maxRetries: 0 },
          )
          .withResponse(),
      );
      const { data, response } = value;
      const message = data as Partial<Anthropic.Message> | string | undefined;
      if (!message || typeof message !== 'object' || !Array.isArray(message.content)) {
        throw new ProviderError('server', 'anthropic: the response held no message', { status: 200 });
      }
      const text = message.content
        .filter((block): block is Anthropic.TextBlock => block.type === 'text')
        .map((block) => block.text)
        .join('');
      // A refusal answers the same every time: fail it now; an empty answer may be a glitch.
      if (message.stop_reason === 'refusal') {
        throw new ProviderError('content_filtered', 'anthropic: answer refused (stop reason refusal)', {
          status: 200,
        });
      }
      if (text.trim() === '') {
        throw new ProviderError(
          'empty_answer',
          `anthropic: empty answer (stop reason ${message.stop_reason ?? 'unknown'})`,
          { status: 200 },
        );
      }
      const usage = message.usage;
      const rateLimit = rateLimitHint(response.headers, clock());
      return {
        text,
        model: message.model || config.model,
        // input_tokens excludes prompt-cache reads and writes, which are billed input too.
        tokensIn:
          (usage?.input_tokens ?? 0) +
          (usage?.cache_creation_input_tokens ?? 0) +
          (usage?.cache_read_input_tokens ?? 0),
        tokensOut: usage?.output_tokens ?? 0,
        latencyMs,
        ...(rateLimit ? { rateLimit } : {}),
      };
    },
  };
}
