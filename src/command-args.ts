import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SchedError, usageError } from './errors.ts';
import { parseRunDate, runDateOf } from './time/business-day.ts';

/**
 * Arguments of the `sched` commands, shared by the CLI and the local console (which takes the same
 * commands typed at its prompt).
 */

/** --date YYYY-MM-DD, or today's business day in the scheduling zone. */
export function runDateOption(value: string | undefined, now: Date, zone: string): string {
  if (value === undefined) return runDateOf(now, zone);
  const parsed = parseRunDate(value);
  if (!parsed) throw usageError(`--date must be a real calendar date as YYYY-MM-DD, not "${value}"`);
  return parsed;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode: an unknown flag or a missing value is a usage error (exit 2). */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
}

export function isUsageError(error: unknown): error is SchedError {
  return error instanceof SchedError && error.code === 'usage';
}
