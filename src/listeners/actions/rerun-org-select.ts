import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { accessDenied } from '../../blocks/access-denied.ts';
import { noticeModal } from '../../blocks/loading-view.ts';
import { encodeRerunMetadata } from '../../blocks/rerun-metadata.ts';
import { rerunModal } from '../../blocks/rerun-modal.ts';
import { orgById } from '../../orgs/find-org.ts';
import { rerunCostPreview } from '../../report/rerun-cost.ts';
import { fillModal, openLoadingModal } from '../../slack/loading-modal.ts';
import { runDateOf } from '../../time/business-day.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

const TITLE = 'Rerun an org';

/**
 * "Rerun org…" select on a report: admins get the rerun modal with that org picked, to choose
 * the scope. The modal opens at once (the trigger_id expires in three seconds, the admin group
 * lookup may take longer); a non-admin then sees the refusal in it.
 */
export const rerunOrgSelectAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockAction>> =>
  async (args) => {
    const { input } = await ackClick(args);
    const viewId = await openLoadingModal(args.client, input.triggerId, TITLE);
    if (!(await deps.access.isAdmin(input.userId))) {
      const denied = accessDenied({ ...deps.config.slack, action: 'rerun an org' });
      await fillModal(args.client, viewId, noticeModal(TITLE, denied.text ?? ''));
      return;
    }
    const org = await orgById(deps.db, input.value);
    if (!org) {
      await fillModal(
        args.client,
        viewId,
        noticeModal(TITLE, 'That org no longer exists; pick another one.'),
      );
      return;
    }
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    const cost = await rerunCostPreview(deps, { runDate, orgId: org.id });
    await fillModal(
      args.client,
      viewId,
      rerunModal({
        initialOrg: { id: org.id, name: org.name, slug: org.slug },
        runDate,
        cost,
        // The result goes back where the select was used, through this click's response_url.
        privateMetadata: encodeRerunMetadata({
          runDate,
          channelId: input.channelId,
          responseUrl: input.responseUrl,
        }),
      }),
    );
  };
