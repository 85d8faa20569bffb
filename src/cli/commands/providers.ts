import { loadConfig } from '../../config.ts';
import { usageError } from '../../errors.ts';
import {
  CHECK_TIMEOUT_MS,
  checkProviders,
  type ProvidersCheckResult,
} from '../../providers/check-providers.ts';
import { createProviderAdapters } from '../../providers/registry.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';

/** Pure: one line per provider for people at a terminal. */
export function formatProvidersCheck(result: ProvidersCheckResult): string {
  const lines = result.providers.map((p) => {
    const name = p.provider.padEnd(11);
    const simulated = p.simulated ? ' (simulated)' : '';
    if (p.status === 'disabled') return `${name} disabled (no API key)`;
    if (p.status === 'ok') return `${name} ok${simulated}  ${p.latencyMs} ms  ${p.model}`;
    return `${name} ${p.errorClass}${simulated}  ${p.message}`;
  });
  return `${lines.join('\n')}\n`;
}

/** Needs no database: it reads the configuration and calls each provider once. */
export const providersCommand: CliCommand = {
  name: 'providers',
  summary: 'check that every configured AI provider answers (exit 1 if one fails)',
  usage: 'sched providers check [--json]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, true);
    if (positionals.length !== 1 || positionals[0] !== 'check') {
      throw usageError('the only providers subcommand is "check"');
    }
    const config = loadConfig(io.env);
    const result = await checkProviders(createProviderAdapters(config), {
      timeoutMs: Math.min(CHECK_TIMEOUT_MS, config.worker.providerTimeoutMs),
    });
    io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatProvidersCheck(result));
    return result.ok ? 0 : 1;
  },
};
