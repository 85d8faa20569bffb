import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { nightAcknowledgedMessage } from '../../blocks/late-step-message.ts';
import { acknowledgeMissedNight } from '../../scheduler/missed-nights.ts';
import { allowOrExplain } from '../../slack/access.ts';
import { reply } from '../../slack/reply.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick, runDateValue } from './action-input.ts';

/** Acknowledge on a missed night's alert: admins only; recorded with who, and said in the channel. */
export const ackNightAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const runDate = runDateValue(input.value);
    if (!(await allowOrExplain(deps, { target, action: 'acknowledge a missed night' }))) return;
    const ack = await acknowledgeMissedNight(deps, { runDate, by: `slack:${input.userId}` });
    deps.logger.info({ runDate, by: ack.ackedBy, created: ack.created }, 'missed night acknowledged');
    await reply(target, nightAcknowledgedMessage(ack));
  };
