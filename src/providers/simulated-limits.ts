import type { Config } from '../config.ts';
import { providerMode } from './provider-mode.ts';
import { SIMULATED_PROFILE_SPECS } from './simulated.ts';
import { PROVIDER_NAMES } from './types.ts';

/**
 * Under a simulated profile, a simulated provider's requests per minute are what its stand-in
 * accepts, not the real API's default (50 a minute stretched a demo repair to four minutes),
 * unless <PROVIDER>_RPM says otherwise. Applied before the `providers` rows are created, so rows
 * first created under a profile carry its limits.
 */
export function withSimulatedLimits(config: Config, env: Record<string, string | undefined>): Config {
  const profile = config.simulatedProfile;
  if (!profile) return config;
  const providers = { ...config.providers };
  for (const name of PROVIDER_NAMES) {
    if (providerMode(config, name) !== 'simulated' || env[`${name.toUpperCase()}_RPM`]) continue;
    providers[name] = {
      ...providers[name],
      rpm: Math.max(providers[name].rpm, SIMULATED_PROFILE_SPECS[profile].rpm),
    };
  }
  return { ...config, providers };
}
