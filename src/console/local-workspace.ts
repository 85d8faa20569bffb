import { dirname, join, resolve } from 'node:path';
import type { Config, SimulatedProfile } from '../config.ts';
import type { ProviderSettings } from '../providers/provider-settings.ts';
import type { createProviderAdapters } from '../providers/registry.ts';
import { SIMULATED_PROFILE_SPECS } from '../providers/simulated.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import { CONSOLE_USER, LOCAL_REPORT_CHANNEL } from './local-slack.ts';

/** The configuration of the local console: what differs from a real workspace, and why. */

/** Logs of the local console go to a file next to the data, so they never garble the prompt. */
export const consoleLogFile = (config: Config) =>
  join(config.databaseUrl ? resolve('.data') : dirname(resolve(config.pgliteDir)), 'sched-bot.log');

/**
 * The local workspace: the console user is an admin and the report has a channel to go to.
 * (Simulated providers' limits are the runtime's: src/providers/simulated-limits.ts.)
 */
export const localWorkspace = (config: Config): Config => ({
  ...config,
  slack: {
    ...config.slack,
    reportChannel: config.slack.reportChannel ?? LOCAL_REPORT_CHANNEL,
    adminUsers: [...config.slack.adminUsers, CONSOLE_USER],
  },
});

/**
 * The banner's providers, as the `providers` table has them (what the night expects), and where
 * this process's environment disagrees with the table, that and the one command that aligns them.
 */
export function describeProviders(
  adapters: ReturnType<typeof createProviderAdapters>,
  config: Config,
  settings: readonly ProviderSettings[],
): { line: string; mismatch: string | undefined } {
  const profile = config.simulatedProfile;
  const enable: ProviderName[] = [];
  const disable: ProviderName[] = [];
  let slow = false;
  const shown = PROVIDER_NAMES.map((name) => {
    const row = settings.find((s) => s.name === name);
    const adapter = adapters.get(name);
    const slower = Boolean(
      adapter?.simulated && profile && row && row.rpm < SIMULATED_PROFILE_SPECS[profile].rpm,
    );
    if (!row?.enabled) {
      if (!adapter) return `${name} (disabled)`;
      enable.push(name);
      slow ||= slower;
      return `${name} (disabled in the providers table)`;
    }
    if (!adapter) {
      disable.push(name);
      return `${name} (enabled, but no ${name.toUpperCase()}_API_KEY here)`;
    }
    if (slower) {
      slow = true;
      enable.push(name);
    }
    return adapter.simulated ? `${name} (simulated, ${profile})` : `${name} (${row.model})`;
  });
  return { line: shown.join(', '), mismatch: providerMismatch({ enable, disable, slow, profile }) };
}

function providerMismatch(m: {
  enable: ProviderName[];
  disable: ProviderName[];
  slow: boolean;
  profile: SimulatedProfile | undefined;
}): string | undefined {
  const names = (list: ProviderName[]) => (list.length === PROVIDER_NAMES.length ? 'all' : list.join(','));
  const parts: string[] = [];
  if (m.enable.length > 0) {
    const rpm = m.profile && m.slow ? ` --rpm ${SIMULATED_PROFILE_SPECS[m.profile].rpm}` : '';
    parts.push(
      `the providers table has ${m.enable.join(', ')} disabled or slower than this process can call them; ` +
        `align it with: npm run sched -- providers set ${names(m.enable)} --enable${rpm}`,
    );
  }
  if (m.disable.length > 0) {
    parts.push(
      `the providers table expects ${m.disable.join(', ')}, which this process cannot call ` +
        `(no API key, no SIMULATED_PROFILE); set the key, or: npm run sched -- providers set ${names(m.disable)} --disable`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** What the console's banner tells about this process, from the composed parts. */
export function consoleFacts(
  config: Config,
  parts: {
    databaseKind: 'pglite' | 'postgres';
    seeded: { organizations: number; activePrompts: number } | undefined;
    adapters: ReturnType<typeof createProviderAdapters>;
    settings: readonly ProviderSettings[];
    demoHint: string | undefined;
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
    providers: describeProviders(parts.adapters, config, parts.settings),
    demoHint: parts.demoHint,
    workers: config.worker.concurrency,
    httpUrl: `http://localhost:${parts.port}`,
    cronSecretSet: Boolean(config.cronSecret),
    logFile: parts.logFile,
    reportChannel: String(config.slack.reportChannel),
  };
}
