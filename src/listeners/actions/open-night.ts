import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { noticeModal } from '../../blocks/loading-view.ts';
import { runDetailModal } from '../../blocks/run-detail-modal.ts';
import { getNight } from '../../scheduler/history.ts';
import { fillModal, openLoadingModal } from '../../slack/loading-modal.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick, runDateValue } from './action-input.ts';

/**
 * "Details" of one night (history, Home): its full recorded postcheck in a modal, opened at once
 * with a loading view (the trigger_id expires before a slow database answers) and then filled.
 */
export const openNightAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const runDate = runDateValue(input.value);
    const viewId = await openLoadingModal(args.client, input.triggerId, `Night ${runDate}`);
    const report = await getNight(deps.db, runDate);
    await fillModal(
      args.client,
      viewId,
      report
        ? runDetailModal(report)
        : noticeModal(`Night ${runDate}`, `No postcheck was recorded for ${runDate}.`),
    );
  };
