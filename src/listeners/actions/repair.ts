import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { type ReplyMessage, reply } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick, runDateValue } from './action-input.ts';

/** Repair button (report and status): admins only; the runner claims, enqueues and keeps the report current. */
export const repairAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const runDate = runDateValue(input.value);
    if (!(await allowOnce(deps, { target, action: 'repair', request: args.body }))) return;
    const answer = (message: ReplyMessage) => reply(target, message);
    await deps.repairs.start({ runDate, userId: input.userId, message: input.message, answer });
  };
