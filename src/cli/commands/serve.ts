import { runSchedBot } from '../../index.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';

/** `sched serve`: what `npm start` runs (bot, scheduler, workers; the local console without Slack). */
export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the bot, the scheduler and the workers (the local console without Slack credentials)',
  usage: 'sched serve',
  async run(argv, io) {
    parseCommandArgs(argv, {});
    return runSchedBot({ env: io.env, stdin: process.stdin, stdout: io.stdout });
  },
};
