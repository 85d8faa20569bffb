import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { decodeRepairScope } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { type ReplyMessage, reply } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/**
 * "Retry <provider> only" on a report's root-cause line: admins only, as Repair; the same runner
 * claims the night's repair, enqueues that provider's missing units and keeps the report current.
 */
export const retryProviderAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const value = decodeRepairScope(input.value);
    // The button names one provider; a repair never redoes a success, so never "all" units.
    if (!value?.provider || value.units === 'all') {
      throw usageError('That button carries no provider I can read; open a fresh report and try again.');
    }
    if (!(await allowOnce(deps, { target, action: 'repair', request: args.body }))) return;
    const answer = (message: ReplyMessage) => reply(target, message);
    await deps.repairs.start({
      runDate: value.runDate,
      userId: input.userId,
      message: input.message,
      answer,
      scope: { units: value.units, provider: value.provider },
    });
  };
