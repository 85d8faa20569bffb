import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { orgById } from '../orgs/find-org.ts';
import { runDateOf } from '../scheduler/business-day.ts';
import { allowOrExplain } from '../slack/access.ts';
import { reply } from '../slack/reply.ts';
import { encodeRerunMetadata } from '../slack/rerun-metadata.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { errorMessage } from '../views/error-message.ts';
import { rerunModal } from '../views/rerun-modal.ts';
import { ackClick } from './action-input.ts';

/** "Rerun org…" select on a report: admins get the rerun modal with that org picked, to choose the scope. */
export const rerunOrgSelectAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    if (!(await allowOrExplain(deps.access, deps.config.slack, target, 'rerun an org'))) return;
    const org = await orgById(deps.db, input.value);
    if (!org) {
      await reply(target, errorMessage('That org no longer exists; pick another one.'));
      return;
    }
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    await args.client.views.open({
      trigger_id: input.triggerId,
      view: rerunModal({
        initialOrg: { id: org.id, name: org.name, slug: org.slug },
        runDate,
        // The result goes back where the select was used, through this click's response_url.
        privateMetadata: encodeRerunMetadata({
          runDate,
          channelId: input.channelId,
          responseUrl: input.responseUrl,
        }),
      }),
    });
  };
