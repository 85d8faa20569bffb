import { describeFailure, formatFailure } from '../app/failure.ts';
import { isUsageError } from '../args/command-args.ts';
import { EXIT } from '../exit-codes.ts';
import type { CliIo } from './command.ts';
import { commands } from './commands/index.ts';
import { commandHelp, commandList, unknownCommand, usageLines } from './help.ts';

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

/** Runs one `sched` invocation; returns the exit code (2 for bad arguments). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined) return runCli([rest[0], '--help'], io);
  if (name === undefined || name === 'help' || isHelp(name)) {
    (name === undefined ? io.stderr : io.stdout).write(commandList(commands));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(unknownCommand(name, commands));
    return EXIT.usage;
  }
  if (rest.some(isHelp)) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  try {
    const handler = await command.load();
    return await handler.run(rest, io);
  } catch (error) {
    if (isUsageError(error)) {
      io.stderr.write(`sched ${name}: ${error.message}\n${usageLines(command)}\n`);
      return EXIT.usage;
    }
    const failure = describeFailure(error, io.env);
    io.stderr.write(formatFailure(`sched ${name}`, failure));
    return failure.code;
  }
}

/** The `sched` process (bin/sched.js): this process's arguments, environment and streams. */
export async function main(): Promise<void> {
  // `sched status | head`: the reader closed early and got what it wanted. Stop as a pipe's
  // writer stops on SIGPIPE, without the unhandled-'error' stack trace; anything else is a fault.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(EXIT.ok);
  });
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  process.exitCode = code;
}

// Run as a file of its own too: `node --import tsx src/cli/main.ts`, `node dist/cli/main.js`.
const isEntryPoint = process.argv[1] !== undefined && /cli[/\\]main\.[jt]s$/.test(process.argv[1]);
if (isEntryPoint) await main();
