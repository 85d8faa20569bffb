import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SchedError, usageError } from '../errors.ts';

/** One `sched` subcommand: its own file in src/cli/commands, listed in src/cli/commands/index.ts. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
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
