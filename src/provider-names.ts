/**
 * The providers sched-bot knows. A leaf that config, the plans and the adapters all read, so that
 * none of them has to import another's folder for a list of names.
 */
export const PROVIDER_NAMES = ['openai', 'anthropic', 'gemini', 'perplexity'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}
