import { usageError } from '../errors.ts';
import { assertKnownProvider, type RunScope } from '../queue/run-scope.ts';

/**
 * `--failed`, `--all` and `--provider P` of `sched rerun` and `sched postcheck --repair`, as the
 * scheduler's scope (run-scope.ts). Missing units is the default; asking for both failed and all
 * is a usage error rather than a silent pick of one.
 */

export const SCOPE_FLAG_OPTIONS = {
  failed: { type: 'boolean' },
  all: { type: 'boolean' },
  provider: { type: 'string' },
} as const;

export interface ScopeFlags {
  failed?: boolean | undefined;
  all?: boolean | undefined;
  provider?: string | undefined;
}

export function scopeFromFlags(flags: ScopeFlags): RunScope {
  if (flags.failed && flags.all) throw usageError('--failed and --all exclude each other: give one');
  const provider = flags.provider?.trim().toLowerCase();
  if (provider === '') throw usageError('--provider needs a provider name');
  assertKnownProvider(provider);
  return { units: flags.all ? 'all' : flags.failed ? 'failed' : 'missing', provider };
}

/** Whether any scope flag was given (postcheck refuses them without --repair). */
export const hasScopeFlags = (flags: ScopeFlags) =>
  flags.failed === true || flags.all === true || flags.provider !== undefined;
