import { runSchedBot } from '../../app/bot-process.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import type { CliCommand } from '../command.ts';

/**
 * `sched serve`: the bot, scheduler and workers, for service managers and containers: it never
 * opens the local console (without Slack credentials it serves only the ops routes on PORT).
 */
export const serveCommand: CliCommand = {
  async run(argv, io) {
    parseCommandArgs(argv, {});
    return runSchedBot({ env: io.env, stdin: process.stdin, stdout: io.stdout, console: false });
  },
};
