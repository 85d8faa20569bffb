import type { ProviderConfig } from '../config.ts';
import { type AdapterOptions, createChatCompletionsAdapter } from './openai.ts';
import type { ProviderAdapter } from './types.ts';

/** Perplexity's API is OpenAI-compatible at {base}/chat/completions (no /v1), Bearer auth. */
export const PERPLEXITY_BASE_URL = 'https://api.perplexity.ai';

export function createPerplexityAdapter(config: ProviderConfig, options: AdapterOptions): ProviderAdapter {
  return createChatCompletionsAdapter(
    config,
    {
      name: 'perplexity',
      baseUrl: (config.baseUrl ?? PERPLEXITY_BASE_URL).replace(/\/+$/, ''),
      tokenLimitField: 'max_tokens',
    },
    options,
  );
}
