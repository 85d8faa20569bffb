import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { accessDenied } from '../../blocks/access-denied.ts';
import { noticeModal } from '../../blocks/loading-view.ts';
import { repairModal } from '../../blocks/repair-modal.ts';
import { encodeRepairModalMetadata } from '../../blocks/values.ts';
import { repairScopePreviews } from '../../report/repair-scope-previews.ts';
import { assertRunDateAllowed } from '../../scheduler/run-date-guard.ts';
import { fillModal, openLoadingModal } from '../../slack/loading-modal.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick, runDateValue } from './action-input.ts';

const TITLE = 'Repair options';

/**
 * "Repair options…" next to Repair: admins get a modal to narrow the repair (failed units only,
 * one provider) or widen it (every unit), with what each choice enqueues. The modal opens at once
 * (the trigger_id lives three seconds); a non-admin sees the refusal in it.
 */
export const repairOptionsAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const runDate = runDateValue(input.value);
    const viewId = await openLoadingModal(args.client, input.triggerId, TITLE);
    if (!(await deps.access.isAdmin(input.userId))) {
      const denied = accessDenied({ ...deps.config.slack, action: 'repair' });
      await fillModal(args.client, viewId, noticeModal(TITLE, denied.text ?? ''));
      return;
    }
    await assertRunDateAllowed(deps, { runDate, purpose: 'repair' });
    const previews = await repairScopePreviews(deps, { runDate });
    const privateMetadata = encodeRepairModalMetadata({
      runDate,
      message: input.message,
      responseUrl: input.responseUrl,
    });
    await fillModal(args.client, viewId, repairModal({ runDate, previews, privateMetadata }));
  };
