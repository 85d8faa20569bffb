import type { RespondFn, webApi } from '@slack/bolt';
import type { SlackMessage } from '../blocks/types.ts';

/**
 * Answers the person behind a request. Slash commands and message buttons carry a response_url
 * (`respond`); a button in the App Home tab or a modal submission does not, so the answer goes to
 * the app's direct-message channel with them instead.
 */

export interface ReplyTarget {
  respond?: RespondFn | undefined;
  client: Pick<webApi.WebClient, 'chat'>;
  userId: string;
}

export type ReplyMessage = SlackMessage;

/** An answer only the user sees: ephemeral through response_url, or a DM. */
export async function reply(target: ReplyTarget, message: ReplyMessage, options: { replace?: boolean } = {}) {
  if (target.respond) {
    await target.respond({
      ...message,
      response_type: 'ephemeral',
      replace_original: options.replace ?? false,
    });
    return;
  }
  await target.client.chat.postMessage({
    channel: target.userId,
    text: message.text ?? '',
    blocks: message.blocks,
  });
}

/** Bolt's respond() for a response_url the app kept itself (a modal's private metadata). */
export function respondTo(responseUrl: string): RespondFn {
  return async (message) => {
    const body = typeof message === 'string' ? { text: message } : message;
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`response_url answered ${response.status}`);
    return response;
  };
}
