import { dirname, join, resolve } from 'node:path';
import type { Config, SimulatedProfile } from '../config.ts';
import { providerMode } from '../providers/provider-mode.ts';
import type { createProviderAdapters } from '../providers/registry.ts';
import { SIMULATED_PROFILE_SPECS } from '../providers/simulated.ts';
import { PROVIDER_NAMES } from '../providers/types.ts';
import { CONSOLE_USER, LOCAL_REPORT_CHANNEL } from './local-slack.ts';

/** The configuration of the local console: what differs from a real workspace, and why. */

/** Logs of the local console go to a file next to the data, so they never garble the prompt. */
export const consoleLogFile = (config: Config) =>
  join(config.databaseUrl ? resolve('.data') : dirname(resolve(config.pgliteDir)), 'sched-bot.log');

/**
 * The local workspace: the console user is an admin, the report has a channel to go to, and a
 * simulated provider is limited by what its stand-in accepts rather than by the real API's
 * default rate (50 requests a minute would stretch the demo night to several minutes), unless
 * <PROVIDER>_RPM says otherwise.
 */
export const localWorkspace =
  (env: Record<string, string | undefined>) =>
  (config: Config): Config => ({
    ...config,
    slack: {
      ...config.slack,
      reportChannel: config.slack.reportChannel ?? LOCAL_REPORT_CHANNEL,
      adminUsers: [...config.slack.adminUsers, CONSOLE_USER],
    },
    providers: Object.fromEntries(
      PROVIDER_NAMES.map((name) => {
        const provider = config.providers[name];
        const simulated = config.simulatedProfile && providerMode(config, name) === 'simulated';
        const rpm =
          simulated && !env[`${name.toUpperCase()}_RPM`]
            ? Math.max(provider.rpm, SIMULATED_PROFILE_SPECS[config.simulatedProfile as SimulatedProfile].rpm)
            : provider.rpm;
        return [name, { ...provider, rpm }];
      }),
    ) as Config['providers'],
  });

/** One line for the banner: each provider and whether it is real, simulated or disabled. */
export function describeProviders(
  adapters: ReturnType<typeof createProviderAdapters>,
  config: Config,
): string {
  const names = Object.keys(config.providers) as (keyof Config['providers'])[];
  return names
    .map((name) => {
      const adapter = adapters.get(name);
      if (!adapter) return `${name} (disabled)`;
      return adapter.simulated
        ? `${name} (simulated, ${config.simulatedProfile})`
        : `${name} (${adapter.model})`;
    })
    .join(', ');
}

/** What the console's banner tells about this process, from the composed parts. */
export function consoleFacts(
  config: Config,
  parts: {
    databaseKind: 'pglite' | 'postgres';
    seeded: { organizations: number; activePrompts: number } | undefined;
    adapters: ReturnType<typeof createProviderAdapters>;
    port: number;
    logFile: string;
  },
) {
  return {
    database:
      parts.databaseKind === 'pglite'
        ? `embedded PGlite in ${config.pgliteDir}`
        : 'PostgreSQL (DATABASE_URL)',
    seeded: parts.seeded && {
      organizations: parts.seeded.organizations,
      activePrompts: parts.seeded.activePrompts,
    },
    providers: describeProviders(parts.adapters, config),
    workers: config.worker.concurrency,
    httpUrl: `http://localhost:${parts.port}`,
    cronSecretSet: Boolean(config.cronSecret),
    logFile: parts.logFile,
    reportChannel: String(config.slack.reportChannel),
  };
}
