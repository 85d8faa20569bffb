import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../commands/slack-deps.ts';
import { allowOrExplain } from '../slack/access.ts';
import { type ReplyMessage, reply } from '../slack/reply.ts';
import { ackClick, runDateValue } from './action-input.ts';

/** Repair button (report and status): admins only; the runner claims, enqueues and keeps the report current. */
export const repairAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const runDate = runDateValue(input.value);
    if (!(await allowOrExplain(deps, { target, action: 'repair' }))) return;
    const answer = (message: ReplyMessage) => reply(target, message);
    await deps.repairs.start({ runDate, userId: input.userId, message: input.message, answer });
  };
