import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import {
  DEFAULT_HISTORY_DAYS,
  HISTORY_PAGE_SIZE,
  historyPage,
  MAX_HISTORY_DAYS,
} from '../../report/history-page.ts';
import { reply } from '../../slack/reply.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/** History button (report, status, Home): the first page of /sched-history, for the clicker. */
export const openHistoryAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const asked = /^\d{1,3}$/.test(input.value) ? Number(input.value) : DEFAULT_HISTORY_DAYS;
    const totalDays = Math.min(Math.max(1, asked), MAX_HISTORY_DAYS);
    const message = await historyPage(deps, { page: 0, pageSize: HISTORY_PAGE_SIZE, totalDays });
    await reply(target, message);
  };
