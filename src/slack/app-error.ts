import type { webApi } from '@slack/bolt';
import { errorMessage } from '../blocks/error-message.ts';
import { isSchedError, toError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { reply, respondTo } from './reply.ts';

/**
 * The one error handler of the Slack app. Whatever a handler throws after its ack ends here:
 * the log gets the detail (which command or action, who, the stack), the user gets one
 * sentence, ephemeral, through the request's response_url (or a direct message when it has none).
 */

/** Errors a user can act on carry their own sentence; anything else is our fault, said plainly. */
const USER_FACING = new Set([
  'usage',
  'not_found',
  'ambiguous',
  'forbidden',
  'unauthorized',
  'conflict',
  'unavailable',
]);
export const INTERNAL_ERROR_SENTENCE =
  'Something went wrong on my side and nothing was changed by this request; the details are in the bot logs.';

export function userSentence(error: unknown): string {
  if (isSchedError(error) && USER_FACING.has(error.code)) return error.message;
  return INTERNAL_ERROR_SENTENCE;
}

type Body = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** What the request was, for the log line: `/sched-status`, `block_actions repair_missing`, ... */
export function describeRequest(body: Body): Record<string, unknown> {
  const user = (body.user as { id?: string } | undefined)?.id ?? str(body.user_id);
  const actions = body.actions as { action_id?: string }[] | undefined;
  const view = body.view as { callback_id?: string } | undefined;
  const event = body.event as { type?: string } | undefined;
  return {
    type: str(body.type) ?? (body.command ? 'slash_command' : undefined),
    command: str(body.command),
    action: actions?.[0]?.action_id ?? str(body.action_id),
    callbackId: view?.callback_id,
    event: event?.type,
    user,
  };
}

export function handleAppError(deps: { logger: Logger; client: Pick<webApi.WebClient, 'chat'> }) {
  const { client } = deps;
  return async ({ error, body }: { error: Error; body?: unknown }): Promise<void> => {
    const original = toError((error as { original?: unknown }).original ?? error);
    const request = describeRequest((body ?? {}) as Body);
    const sentence = userSentence(original);
    if (sentence === INTERNAL_ERROR_SENTENCE)
      deps.logger.error({ err: original, ...request }, 'Slack request failed');
    else deps.logger.info({ reason: original.message, ...request }, 'Slack request refused');

    try {
      const responseUrl = responseUrlOf((body ?? {}) as Body);
      const respond = responseUrl ? respondTo(responseUrl) : undefined;
      // Without a response_url (a modal, the Home tab) the app's direct messages are the place;
      // events and option loads have nobody waiting for an answer.
      const answerable = request.type === 'view_submission' || request.type === 'block_actions';
      if (respond || (request.user && answerable)) {
        await reply({ respond, client, userId: String(request.user) }, errorMessage(sentence));
      }
    } catch (notifyError) {
      deps.logger.warn(
        { err: toError(notifyError), ...request },
        'could not tell the user about the failure',
      );
    }
  };
}

function responseUrlOf(body: Body): string | undefined {
  const direct = str(body.response_url);
  if (direct) return direct;
  const urls = body.response_urls as { response_url?: string }[] | undefined;
  return urls?.[0]?.response_url;
}
