import type { Middleware, SlackViewMiddlewareArgs } from '@slack/bolt';
import { parseRepairSubmission } from '../../blocks/repair-modal.ts';
import { decodeRepairModalMetadata } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { type ReplyMessage, reply, respondTo } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';

/**
 * The repair modal's submission: a bad choice is answered in the modal (pure, inside the ack);
 * then, for admins, the same runner as the Repair button starts the scoped repair and keeps the
 * report message it came from current. Answers go through the click's response_url, or a DM.
 */
export const repairModalSubmitView =
  (deps: SlackDeps): Middleware<SlackViewMiddlewareArgs> =>
  async ({ ack, body, view, client }) => {
    const submission = parseRepairSubmission(view.state.values);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    await ack();
    const metadata = decodeRepairModalMetadata(view.private_metadata);
    if (!metadata) throw usageError('That repair form is out of date; press Repair options… again.');
    const userId = body.user.id;
    const respond = metadata.responseUrl ? respondTo(metadata.responseUrl) : undefined;
    const target = { respond, client, userId };
    if (!(await allowOnce(deps, { target, action: 'repair', request: body }))) return;
    const answer = (message: ReplyMessage) => reply(target, message);
    await deps.repairs.start({
      runDate: metadata.runDate,
      userId,
      message: metadata.message,
      answer,
      scope: submission.scope,
      confirmFresh: submission.confirmFresh,
    });
  };
