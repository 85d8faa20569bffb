import type { Config, ProviderConfig } from '../config.ts';
import { createAnthropicAdapter } from './anthropic.ts';
import { createGeminiAdapter } from './gemini.ts';
import { type AdapterOptions, createOpenAiAdapter } from './openai.ts';
import { createPerplexityAdapter } from './perplexity.ts';
import { providerMode } from './provider-mode.ts';
import { createSimulatedAdapter } from './simulated.ts';
import { PROVIDER_NAMES, type ProviderAdapter, type ProviderName } from './types.ts';

const REAL_ADAPTERS: Record<
  ProviderName,
  (config: ProviderConfig, options: AdapterOptions) => ProviderAdapter
> = {
  openai: createOpenAiAdapter,
  anthropic: createAnthropicAdapter,
  gemini: createGeminiAdapter,
  perplexity: createPerplexityAdapter,
};

/**
 * The adapters of tonight's providers, by the same rule as the providers table
 * (`providerMode`): an API key means the real SDK; no key but a simulated profile means the
 * deterministic stand-in; neither means the provider is absent from the map (disabled).
 */
export function createProviderAdapters(
  config: Config,
  options: { clock?: () => Date } = {},
): Map<ProviderName, ProviderAdapter> {
  const adapters = new Map<ProviderName, ProviderAdapter>();
  for (const name of PROVIDER_NAMES) {
    const mode = providerMode(config, name);
    if (mode === 'real') {
      adapters.set(
        name,
        REAL_ADAPTERS[name](config.providers[name], {
          defaultTimeoutMs: config.worker.providerTimeoutMs,
          clock: options.clock,
        }),
      );
    } else if (mode === 'simulated' && config.simulatedProfile) {
      // The stand-in enforces the configured rpm the way the real API would enforce the account's.
      adapters.set(
        name,
        createSimulatedAdapter(name, config.simulatedProfile, {
          rpm: config.providers[name].rpm,
          failing: config.simulatedFailing.includes(name),
        }),
      );
    }
  }
  return adapters;
}
