import type { Middleware, SlackViewMiddlewareArgs } from '@slack/bolt';
import { decodeRerunMetadata } from '../../blocks/rerun-metadata.ts';
import { parseRerunSubmission } from '../../blocks/rerun-modal.ts';
import { rerunResultMessage } from '../../blocks/rerun-result-message.ts';
import { rerunOrg } from '../../scheduler/rerun.ts';
import { reply, respondTo } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import { runDateOf } from '../../time/business-day.ts';
import type { SlackDeps } from '../slack-deps.ts';

/**
 * The rerun modal's submission. A missing choice is answered in the modal itself (the ack
 * carries the errors; checking it is pure, so the ack stays within Slack's three seconds).
 * Anything that needs the network or the database comes after the ack: the modal closes, and
 * the refusal of a non-admin or the result follows where the command was typed (its
 * response_url), or in a DM.
 */
export const rerunModalSubmitView =
  (deps: SlackDeps): Middleware<SlackViewMiddlewareArgs> =>
  async ({ ack, body, view, client }) => {
    const submission = parseRerunSubmission(view.state.values);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    await ack();
    const userId = body.user.id;
    const metadata = decodeRerunMetadata(view.private_metadata);
    const respond = metadata?.responseUrl ? respondTo(metadata.responseUrl) : undefined;
    const target = { respond, client, userId };
    if (!(await allowOnce(deps, { target, action: 'rerun an org', request: body }))) return;
    const outcome = await rerunOrg(deps, {
      orgId: submission.orgId,
      runDate: metadata?.runDate ?? runDateOf(deps.clock(), deps.config.timezone),
      scope: submission.scope,
      provider: submission.provider,
      triggeredBy: `slack:${userId}`,
    });
    await reply(target, rerunResultMessage({ outcome, userId }));
  };
