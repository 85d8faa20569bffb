import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../../blocks/ids.ts';
import { missingPromptsModal } from '../../blocks/missing-prompts-modal.ts';
import { decodePageValue } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { fillModal, openLoadingModal } from '../../slack/loading-modal.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/**
 * Every missing prompt, 50 per modal page, measured now. "Show all" opens the modal (pushed on
 * top when clicked inside one) with a loading view before measuring, as the trigger_id expires
 * in three seconds; Previous / Next redraw the same modal.
 */
export const showAllMissingAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const page = decodePageValue(input.value);
    if (!page) throw usageError('That button is out of date; open the report again.');
    const paging = input.actionId !== ACTION_IDS.showAllMissing;
    const viewId =
      paging && input.view
        ? input.view.id
        : await openLoadingModal(args.client, input.triggerId, 'Missing prompts', {
            push: input.view?.type === 'modal',
          });
    const report = await measureCoverage(deps, { runDate: page.runDate });
    await fillModal(args.client, viewId, missingPromptsModal({ report, page: page.page }));
  };
