import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeHistoryPage } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { historyPage } from '../../report/history-page.ts';
import { reply } from '../../slack/reply.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/** Older / Newer under /sched-history: the same message shows the next page. */
export const historyPagingAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const page = decodeHistoryPage(input.value);
    if (!page) throw usageError('That page button is out of date; run /sched-history again.');
    await reply(target, await historyPage(deps, page), { replace: true });
  };
