import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SchedError, usageError } from '../errors.ts';

/** The code of one `sched` subcommand: its own file in src/cli/commands. */
export interface CliCommand {
  run(argv: string[], io: CliIo): Promise<number>;
}

/**
 * A subcommand as `sched --help` lists it (src/cli/commands/index.ts). Its file is imported only
 * when it runs: the commands between them load Bolt, four provider SDKs and both database drivers.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  usage: string;
  load(): Promise<CliCommand>;
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
