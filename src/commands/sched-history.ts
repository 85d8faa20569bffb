import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import {
  DEFAULT_HISTORY_DAYS,
  HISTORY_PAGE_SIZE,
  historyPage,
  MAX_HISTORY_DAYS,
} from '../report/history-page.ts';
import { errorMessage } from '../views/error-message.ts';
import { parseCommand } from './command-input.ts';
import type { SlackDeps } from './slack-deps.ts';

/** /sched-history [days]: one line per night, newest first, paged with Older / Newer. */

export type HistoryArgument = { kind: 'days'; days: number } | { kind: 'invalid'; sentence: string };

export function parseHistoryArgument(args: string): HistoryArgument {
  if (args === '') return { kind: 'days', days: DEFAULT_HISTORY_DAYS };
  const days = /^\d{1,6}$/.test(args) ? Number(args) : Number.NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_HISTORY_DAYS) {
    const shown = args.length > 40 ? `${args.slice(0, 40)}…` : args;
    return {
      kind: 'invalid',
      sentence: `“${shown}” is not a number of days; give a whole number from 1 to ${MAX_HISTORY_DAYS}, for example 30.`,
    };
  }
  return { kind: 'days', days };
}

export const schedHistoryCommand =
  (deps: SlackDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ ack, command, respond }) => {
    await ack();
    const argument = parseHistoryArgument(parseCommand(command).args);
    const message =
      argument.kind === 'invalid'
        ? errorMessage(argument.sentence)
        : await historyPage(deps, { page: 0, pageSize: HISTORY_PAGE_SIZE, totalDays: argument.days });
    await respond({ ...message, response_type: 'ephemeral' });
  };
