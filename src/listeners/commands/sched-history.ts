import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/error-message.ts';
import { CHART_NIGHTS, MAX_CHART_NIGHTS } from '../../chart/coverage-chart.ts';
import {
  DEFAULT_HISTORY_DAYS,
  HISTORY_PAGE_SIZE,
  historyPage,
  MAX_HISTORY_DAYS,
} from '../../report/history-page.ts';
import { chartForCommand } from '../../report/upload-chart.ts';
import { actOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { parseCommand } from './command-input.ts';

/**
 * /sched-history [days]: one line per night, newest first, paged with Older / Newer.
 * /sched-history chart [nights]: the coverage chart, uploaded to the channel the command came from.
 */

export type HistoryArgument =
  | { kind: 'days'; days: number }
  | { kind: 'chart'; nights: number }
  | { kind: 'invalid'; sentence: string };

export function parseHistoryArgument(args: string): HistoryArgument {
  if (args === '') return { kind: 'days', days: DEFAULT_HISTORY_DAYS };
  const chart = /^chart(?:\s+(.*))?$/is.exec(args);
  if (chart) {
    const value = chart[1]?.trim() ?? '';
    const nights = value === '' ? CHART_NIGHTS : /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
    if (!(nights >= 1 && nights <= MAX_CHART_NIGHTS)) {
      return {
        kind: 'invalid',
        sentence: `Give the chart a number of nights from 1 to ${MAX_CHART_NIGHTS}, for example \`chart 30\`.`,
      };
    }
    return { kind: 'chart', nights };
  }
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
  async ({ ack, command, respond, client }) => {
    await ack();
    const input = parseCommand(command);
    const argument = parseHistoryArgument(input.args);
    if (argument.kind === 'chart') {
      // The chart is posted for the whole channel to see: a copy of the command posts nothing.
      if (!(await actOnce(deps, { target: { respond, client, userId: input.user_id }, request: command })))
        return;
      const request = { channel: input.channel_id, nights: argument.nights, userId: input.user_id };
      const answer = await chartForCommand({ ...deps, client }, request);
      if (answer) await respond({ ...answer, response_type: 'ephemeral' });
      return;
    }
    const message =
      argument.kind === 'invalid'
        ? errorMessage(argument.sentence)
        : await historyPage(deps, { page: 0, pageSize: HISTORY_PAGE_SIZE, totalDays: argument.days });
    await respond({ ...message, response_type: 'ephemeral' });
  };
