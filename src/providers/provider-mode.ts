import type { Config } from '../config.ts';
import type { ProviderName } from './types.ts';

/**
 * Whether this process can call a provider: it has an API key, or a simulated profile stands in
 * for it. Production (Slack credentials, no profile) can never run on simulated answers. This is
 * the process's ability only; whether the provider is expected tonight is the `providers` row.
 */
export function providerMode(config: Config, name: ProviderName): 'real' | 'simulated' | 'disabled' {
  if (config.providers[name].apiKey) return 'real';
  if (config.simulatedProfile) return 'simulated';
  return 'disabled';
}
