/**
 * The providers sched-bot knows. A leaf that config, the plans and the adapters all read, so that
 * none of them has to import another's folder for a list of names.
 */
export const PROVIDER_NAMES = ['openai', 'anthropic', 'gemini', 'perplexity'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** How people write each provider's name: "Retry OpenAI only", "Perplexity: 412 failures …". */
const DISPLAY_NAMES: Record<ProviderName, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
  perplexity: 'Perplexity',
};

/** The display name of a provider; a name sched-bot does not know (a newer record) as written. */
export function providerDisplayName(provider: string): string {
  return isProviderName(provider) ? DISPLAY_NAMES[provider] : provider;
}
