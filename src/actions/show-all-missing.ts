import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { usageError } from '../errors.ts';
import { measureCoverage } from '../scheduler/postcheck.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { ACTION_IDS } from '../views/ids.ts';
import { missingPromptsModal } from '../views/missing-prompts-modal.ts';
import { decodePageValue } from '../views/values.ts';
import { ackClick } from './action-input.ts';

/**
 * Every missing prompt, 50 per modal page, measured now. "Show all" opens the modal (pushed on
 * top when clicked inside one); Previous / Next redraw the same modal.
 */
export const missingPromptsAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const page = decodePageValue(input.value);
    if (!page) throw usageError('That button is out of date; open the report again.');
    const report = await measureCoverage(deps.db, page.runDate, deps.config, deps.clock());
    const view = missingPromptsModal({ report, page: page.page });
    const paging = input.actionId !== ACTION_IDS.showAllMissing;
    if (paging && input.view) await args.client.views.update({ view_id: input.view.id, view });
    else if (input.view?.type === 'modal')
      await args.client.views.push({ trigger_id: input.triggerId, view });
    else await args.client.views.open({ trigger_id: input.triggerId, view });
  };
