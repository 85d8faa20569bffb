import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { getNight } from '../scheduler/history.ts';
import { reply } from '../slack/reply.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { errorMessage } from '../views/error-message.ts';
import { runDetailModal } from '../views/run-detail-modal.ts';
import { ackClick, runDateValue } from './action-input.ts';

/** "Details" of one night (history, Home): its full recorded postcheck in a modal. */
export const openNightAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const runDate = runDateValue(input.value);
    const report = await getNight(deps.db, runDate);
    if (!report) {
      await reply(target, errorMessage(`No postcheck was recorded for ${runDate}.`));
      return;
    }
    await args.client.views.open({ trigger_id: input.triggerId, view: runDetailModal(report) });
  };
