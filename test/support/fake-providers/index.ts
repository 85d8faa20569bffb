import type { ProviderConfig } from '../../../src/config.ts';
import type { ProviderName } from '../../../src/providers/types.ts';
import { startFakeAnthropic } from './anthropic.ts';
import type { FakeProvider } from './fake-server.ts';
import { startFakeGemini } from './gemini.ts';
import { startFakeOpenAi } from './openai.ts';
import { startFakePerplexity } from './perplexity.ts';

export type { FakeProvider, RecordedRequest, Scenario } from './fake-server.ts';

export const START_FAKE: Record<ProviderName, () => Promise<FakeProvider>> = {
  openai: startFakeOpenAi,
  anthropic: startFakeAnthropic,
  gemini: startFakeGemini,
  perplexity: startFakePerplexity,
};

export type FakeProviders = Record<ProviderName, FakeProvider>;

/** All four fakes, each on its own loopback port. */
export async function startFakeProviders(): Promise<FakeProviders> {
  const [openai, anthropic, gemini, perplexity] = await Promise.all([
    startFakeOpenAi(),
    startFakeAnthropic(),
    startFakeGemini(),
    startFakePerplexity(),
  ]);
  return { openai, anthropic, gemini, perplexity };
}

export async function closeFakeProviders(fakes: Partial<FakeProviders> | undefined): Promise<void> {
  await Promise.all(Object.values(fakes ?? {}).map((fake) => fake.close()));
}

/** <PROVIDER>_API_KEY and <PROVIDER>_BASE_URL for every fake, as the CLI and loadConfig read them. */
export function fakeProviderEnv(fakes: Partial<FakeProviders>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const fake of Object.values(fakes)) {
    const p = fake.provider.toUpperCase();
    env[`${p}_API_KEY`] = fake.apiKey;
    env[`${p}_BASE_URL`] = fake.baseUrl;
  }
  return env;
}

/** A provider config aimed at a fake, as loadConfig would build it. */
export function fakeProviderConfig(
  fake: FakeProvider,
  overrides: Partial<ProviderConfig> = {},
): ProviderConfig {
  return {
    name: fake.provider,
    apiKey: fake.apiKey,
    baseUrl: fake.baseUrl,
    model: `${fake.provider}-test-model`,
    maxOutputTokens: 256,
    rpm: 1000,
    tpm: 0,
    maxConcurrency: 8,
    price: { in: 1, out: 2 },
    ...overrides,
  };
}

/** The request path each provider's API expects for a model. */
export const EXPECTED_PATH: Record<ProviderName, (model: string) => string> = {
  openai: () => '/v1/chat/completions',
  anthropic: () => '/v1/messages',
  gemini: (model) => `/v1beta/models/${model}:generateContent`,
  perplexity: () => '/chat/completions',
};
