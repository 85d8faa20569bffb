import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SchedError, usageError } from '../errors.ts';
import { closestWord } from '../orgs/edit-distance.ts';
import { parseRunDate, runDateOf } from '../time/business-day.ts';

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
    const unknown = unknownOption(error, Object.keys(options));
    throw usageError(unknown ?? (error instanceof Error ? error.message : String(error)));
  }
}

/** node's "Unknown option '--dat'. To specify a positional ..." as one line naming the likely flag. */
function unknownOption(error: unknown, known: string[]): string | undefined {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const flag = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
  if (!flag) return undefined;
  const guess = closestWord(flag.replace(/^-+/, ''), known);
  return `unknown option ${flag}${guess ? `; did you mean --${guess}?` : ''}`;
}

export function isUsageError(error: unknown): error is SchedError {
  return error instanceof SchedError && error.code === 'usage';
}
