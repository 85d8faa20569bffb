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
  /** One form, or one per subcommand (`providers list`, `providers set`, ...). */
  usage: string | readonly string[];
  load(): Promise<CliCommand>;
}

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}
