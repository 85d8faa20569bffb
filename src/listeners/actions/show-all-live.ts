import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../../blocks/ids.ts';
import { LIVE_UNITS_PER_PAGE, liveUnitsModal } from '../../blocks/live-units-modal.ts';
import { decodePageValue } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { liveUnitsPageOf } from '../../scheduler/live-status.ts';
import { fillModal, openLoadingModal } from '../../slack/loading-modal.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/**
 * "Show all" under a running night's /sched-status: every unit not answered yet, one page at a
 * time, read when asked for. Opens a modal with a loading view first (the trigger_id expires in
 * three seconds); Previous / Next redraw it.
 */
export const showAllLiveAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const value = decodePageValue(input.value);
    if (!value) throw usageError('That button is out of date; ask /sched-status again.');
    const viewId =
      input.actionId !== ACTION_IDS.showAllLive && input.view
        ? input.view.id
        : await openLoadingModal(args.client, input.triggerId, 'Not answered yet', {
            push: input.view?.type === 'modal',
          });
    const page = await liveUnitsPageOf(deps, {
      runDate: value.runDate,
      page: value.page,
      pageSize: LIVE_UNITS_PER_PAGE,
      now: deps.clock(),
    });
    await fillModal(args.client, viewId, liveUnitsModal(page));
  };
