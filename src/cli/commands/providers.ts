import { withReadOnlyRuntime, withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { noLiveWorkerLine } from '../../blocks/no-live-worker.ts';
import { loadConfig } from '../../config.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import {
  CHECK_TIMEOUT_MS,
  checkProviders,
  type ProvidersCheckResult,
} from '../../providers/check-providers.ts';
import {
  listProviderSettings,
  type ProviderSettings,
  type ProviderSettingsChange,
} from '../../providers/provider-settings.ts';
import { createProviderAdapters } from '../../providers/registry.ts';
import { isProviderName, PROVIDER_NAMES } from '../../providers/types.ts';
import { cancelledWords, changeProvider } from '../../scheduler/provider-change.ts';
import { type ProviderWorkers, providerWorkers } from '../../store/workers.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand, CliIo } from '../command.ts';

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

export interface ProviderListEntry extends ProviderSettings {
  liveWorkers: number;
}

/** Pure: the providers table, with how many live workers can call each, for a terminal. */
export function formatProvidersList(entries: ProviderListEntry[]): string {
  const lines = [
    `${'provider'.padEnd(11)} ${'enabled'.padEnd(8)} ${'model'.padEnd(24)} rpm     concurrency  live workers`,
  ];
  for (const p of entries) {
    const paused = p.pauseReason
      ? `  paused${p.pausedUntil ? ` until ${p.pausedUntil}` : ''}: ${p.pauseReason}`
      : '';
    lines.push(
      `${p.name.padEnd(11)} ${(p.enabled ? 'yes' : 'no').padEnd(8)} ${p.model.padEnd(24)} ${String(p.rpm).padEnd(7)} ${String(p.maxConcurrency).padEnd(12)} ${p.liveWorkers}${paused}`,
    );
  }
  if (entries.length === 0)
    lines.push('(no provider rows yet: `sched serve` or `sched migrate` creates them)');
  const noWorker = noLiveWorkerLine(
    entries.filter((p) => p.enabled && p.liveWorkers === 0).map((p) => p.name),
  );
  if (noWorker) lines.push('', `WARNING: ${noWorker}`);
  return `${lines.join('\n')}\n`;
}

const SET_OPTIONS = {
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  model: { type: 'string' },
  rpm: { type: 'string' },
  concurrency: { type: 'string' },
} as const;

function wholeNumber(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= max)) {
    throw usageError(`--${flag} must be a whole number from 1 to ${max}, not "${value.slice(0, 40)}"`);
  }
  return n;
}

/** Parses `set <name> ...`: every mistake is a usage error (exit 2), before the database opens. */
export function parseProvidersSet(argv: string[]): {
  names: (typeof PROVIDER_NAMES)[number][];
  change: ProviderSettingsChange;
} {
  const { values, positionals } = parseCommandArgs(argv, SET_OPTIONS, true);
  const [list, ...extra] = positionals;
  if (list === undefined)
    throw usageError(`name a provider: ${PROVIDER_NAMES.join(', ')} (or several: a,b; or all)`);
  if (extra.length > 0) throw usageError(`unexpected argument "${String(extra[0]).slice(0, 40)}"`);
  // `all` or a comma-separated list: the console's banner names one command that aligns them all.
  const names = list === 'all' ? [...PROVIDER_NAMES] : list.split(',');
  for (const name of names) {
    if (!isProviderName(name)) {
      throw usageError(
        `unknown provider "${name.slice(0, 40)}": one of ${PROVIDER_NAMES.join(', ')} (or all)`,
      );
    }
  }
  if (values.enable && values.disable) throw usageError('--enable and --disable together');
  const model = values.model?.trim();
  if (values.model !== undefined && (!model || model.length > 200 || /\s/.test(model))) {
    throw usageError('--model must be a model name without spaces (at most 200 characters)');
  }
  const change: ProviderSettingsChange = {
    enabled: values.enable ? true : values.disable ? false : undefined,
    model,
    rpm: wholeNumber('rpm', values.rpm, 1_000_000),
    maxConcurrency: wholeNumber('concurrency', values.concurrency, 1_000),
  };
  if (Object.values(change).every((v) => v === undefined)) {
    throw usageError('nothing to change: give --enable, --disable, --model, --rpm or --concurrency');
  }
  return { names: names.filter(isProviderName), change };
}

async function check(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  // Needs no database: it reads this process's keys and calls each provider once.
  const config = loadConfig(io.env);
  const result = await checkProviders(createProviderAdapters(config), {
    timeoutMs: Math.min(CHECK_TIMEOUT_MS, config.worker.providerTimeoutMs),
  });
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatProvidersCheck(result));
  return result.ok ? EXIT.ok : EXIT.problem;
}

async function list(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  return withReadOnlyRuntime(io.env, async (rt) => {
    const [settings, workers] = await Promise.all([listProviderSettings(rt.db), providerWorkers(rt.db)]);
    const live = new Map(workers.map((w: ProviderWorkers) => [w.provider, w.liveWorkers]));
    const entries = settings.map((s) => ({ ...s, liveWorkers: live.get(s.name) ?? 0 }));
    if (values.json) {
      const providersWithoutLiveWorker = entries
        .filter((p) => p.enabled && p.liveWorkers === 0)
        .map((p) => p.name);
      io.stdout.write(`${JSON.stringify({ providers: entries, providersWithoutLiveWorker }, null, 2)}\n`);
    } else {
      io.stdout.write(formatProvidersList(entries));
    }
    return EXIT.ok;
  });
}

async function set(argv: string[], io: CliIo): Promise<number> {
  const { names, change } = parseProvidersSet(argv);
  const actor = cliActor(io.env);
  return withRuntime(io.env, async (rt) => {
    for (const name of names) {
      const update = await changeProvider(rt, { name, change, changedBy: actor });
      if (!update) throw usageError(`provider "${name}" has no row in this database`);
      const { before, after, cancelled } = update;
      const diffs = (['enabled', 'model', 'rpm', 'maxConcurrency'] as const)
        .filter((key) => before[key] !== after[key])
        .map((key) => `${key} ${String(before[key])} -> ${String(after[key])}`);
      rt.logger.info(
        { provider: name, changedBy: actor, before, after, cancelled },
        'provider settings changed',
      );
      const cancelledLine = cancelledWords(cancelled);
      io.stdout.write(
        `${name}: ${diffs.length > 0 ? diffs.join(', ') : 'already so, nothing changed'} (by ${actor})\n${cancelledLine ? `${name}: ${cancelledLine}\n` : ''}`,
      );
    }
    return EXIT.ok;
  });
}

/**
 * Provider settings are data: `list` reads the table, `set` is the one way to
 * change it (logged with who), `check` calls each provider this process has a key for.
 */
export const providersCommand: CliCommand = {
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'check') return check(rest, io);
    if (sub === 'list') return list(rest, io);
    if (sub === 'set') return set(rest, io);
    throw usageError('providers subcommands: check, list, set');
  },
};
