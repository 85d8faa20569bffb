import type { StepDeps } from '../scheduler/night-reporter.ts';
import { SLASH_COMMANDS } from '../views/ids.ts';
import { type BannerFacts, bannerText } from './banner.ts';
import type { LocalSlack } from './local-slack.ts';
import { consoleOperations, type OperationDeps } from './operations.ts';
import { createRepl } from './repl.ts';
import { ConsoleSession } from './session.ts';

/**
 * The local console once the app listens: banner, session (the Slack client), operations and the
 * prompt. Returns the function that silences it at shutdown.
 */

export interface ConsoleOptions {
  /** With the reporter that posts to the local report channel. */
  deps: StepDeps & Pick<OperationDeps, 'providers'>;
  slack: LocalSlack;
  facts: Omit<BannerFacts, 'slashCommands'>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** The user asked to stop (quit, Ctrl-C, end of input). */
  onQuit(): void;
}

export function startConsole(options: ConsoleOptions): { close(): void } {
  const aborted = new AbortController();
  const operations = consoleOperations({
    ...options.deps,
    signal: aborted.signal,
  });
  const repl = createRepl({
    input: options.input,
    output: options.output,
    operations,
    slashCommands: SLASH_COMMANDS,
    logFile: options.facts.logFile,
    onQuit: options.onQuit,
    interrupt: () => aborted.abort(),
  });
  const session = new ConsoleSession(options.slack, repl, {
    timeZone: options.deps.config.timezone,
    reportChannel: options.facts.reportChannel,
    bold: options.output.isTTY ? 'ansi' : 'strip',
  });
  const detach = session.attach();
  repl.print(bannerText({ ...options.facts, slashCommands: SLASH_COMMANDS }, operations));
  repl.start(session);
  return {
    close() {
      aborted.abort();
      detach();
      repl.close();
    },
  };
}
