import { z } from 'zod';
import { usageError } from '../errors.ts';
import type { SlackRequestKind } from '../store/slack-request-claims.ts';

/**
 * What makes one Slack request that one and no other, however many times its bytes arrive: a
 * slash command's trigger_id; a click's action_ts with the user and the action id; a modal
 * submission's view id and hash (Slack changes the hash whenever the view changes). Pure.
 */

export interface SlackRequestIdentity {
  identity: string;
  kind: SlackRequestKind;
  userId: string;
}

const command = z.object({
  command: z.string().min(1),
  trigger_id: z.string().min(1),
  user_id: z.string().min(1),
});
const click = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ action_id: z.string().min(1), action_ts: z.string().min(1) })).min(1),
});
const submission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: z.string().min(1) }),
  view: z.object({ id: z.string().min(1), hash: z.string().min(1) }),
});

export function slackRequestIdentity(body: unknown): SlackRequestIdentity {
  const asCommand = command.safeParse(body);
  if (asCommand.success) {
    const { trigger_id, user_id } = asCommand.data;
    return { identity: `command:${trigger_id}`, kind: 'command', userId: user_id };
  }
  const asClick = click.safeParse(body);
  if (asClick.success) {
    const { user, actions } = asClick.data;
    const action = actions[0] as (typeof actions)[number];
    return {
      identity: `action:${action.action_ts}:${user.id}:${action.action_id}`,
      kind: 'action',
      userId: user.id,
    };
  }
  const asSubmission = submission.safeParse(body);
  if (asSubmission.success) {
    const { user, view } = asSubmission.data;
    return { identity: `view:${view.id}:${view.hash}`, kind: 'view', userId: user.id };
  }
  // Slack always sends these fields; a request without them cannot be told from its copies.
  throw usageError('Slack sent a request I could not read; please try again.');
}
