import { SLASH_COMMANDS } from '../blocks/ids.ts';
import type { StepDeps } from '../scheduler/night-reporter.ts';
import { FUNCTION_NAMES, findRun } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { type BannerFacts, bannerText, nightOutlook } from './banner.ts';
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
  facts: Omit<BannerFacts, 'slashCommands' | 'night'>;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** The user asked to stop (quit, Ctrl-C, end of input). */
  onQuit(): void;
}

export async function startConsole(options: ConsoleOptions): Promise<{ close(): void }> {
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
    awaitReplies: !options.output.isTTY,
  });
  const { config, db, clock } = options.deps;
  const now = clock();
  const run = await findRun(db, {
    functionName: FUNCTION_NAMES.trigger,
    runKey: runDateOf(now, config.timezone),
  });
  const night = nightOutlook({
    now,
    zone: config.timezone,
    triggerCron: config.cron.trigger,
    trigger: run && {
      startedAt: new Date(run.started_at),
      triggeredBy: run.triggered_by,
      status: run.status,
    },
  });
  const detach = session.attach();
  repl.print(bannerText({ ...options.facts, slashCommands: SLASH_COMMANDS, night }, operations));
  repl.start(session);
  return {
    close() {
      aborted.abort();
      detach();
      repl.close();
    },
  };
}
