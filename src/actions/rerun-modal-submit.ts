import type { Middleware, SlackViewMiddlewareArgs } from '@slack/bolt';
import { runDateOf } from '../scheduler/business-day.ts';
import { rerunOrg } from '../scheduler/rerun.ts';
import { reply, respondTo } from '../slack/reply.ts';
import { decodeRerunMetadata } from '../slack/rerun-metadata.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { BLOCK_IDS } from '../views/ids.ts';
import { parseRerunSubmission } from '../views/rerun-modal.ts';
import { rerunResultMessage } from '../views/rerun-result-message.ts';

/**
 * The rerun modal's submission. A missing choice or a user who may not rerun is answered in the
 * modal itself (the ack carries the errors); otherwise the modal closes at once and the result
 * follows where the command was typed (its response_url), or in a DM.
 */
export const rerunModalSubmit =
  (deps: SlackDeps): Middleware<SlackViewMiddlewareArgs> =>
  async ({ ack, body, view, client }) => {
    const submission = parseRerunSubmission(view.state.values);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    const userId = body.user.id;
    if (!(await deps.access.isAdmin(userId))) {
      const sentence = 'Only the admins in SLACK_ADMIN_USERS or SLACK_ADMIN_USERGROUP may rerun an org.';
      await ack({ response_action: 'errors', errors: { [BLOCK_IDS.rerunModalOrg]: sentence } });
      return;
    }
    await ack();
    const metadata = decodeRerunMetadata(view.private_metadata);
    const outcome = await rerunOrg(deps, {
      orgId: submission.orgId,
      runDate: metadata?.runDate ?? runDateOf(deps.clock(), deps.config.timezone),
      scope: submission.scope,
      triggeredBy: `slack:${userId}`,
    });
    const respond = metadata?.responseUrl ? respondTo(metadata.responseUrl) : undefined;
    await reply({ respond, client, userId }, rerunResultMessage({ outcome, userId }));
  };
