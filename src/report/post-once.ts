import type { webApi } from '@slack/bolt';
import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { outcomeUnknown } from '../slack/web-client.ts';

/**
 * Posts a message the bot must post exactly once (the night's report, a late alert, a line in a
 * report's thread). Each carries Slack message metadata naming what it is; before posting, and
 * again when a post got no answer (timeout, reset: it may have landed), the channel or thread is
 * searched for it (conversations.history / conversations.replies with its metadata) and a message
 * found is adopted instead of posting another. Where Slack answers neither the post nor the
 * lookup, the error reaches the caller, which hands its claim back: the next try looks first.
 */

type Client = Pick<webApi.WebClient, 'chat' | 'conversations'>;

/** `event_type` of the bot's own messages; a Share copy is `sched_report_copy` and never adopted. */
export const MESSAGE_TYPES = {
  report: 'sched_report',
  reportCopy: 'sched_report_copy',
  lateAlert: 'sched_late_alert',
  threadLine: 'sched_thread_line',
  notice: 'sched_notice',
} as const;

export interface MessageKey {
  eventType: (typeof MESSAGE_TYPES)[keyof typeof MESSAGE_TYPES];
  /** What this message is (run_date, kind, ids): a message is the same one when all of it matches. */
  payload: Record<string, string>;
}

export interface MessageToPost {
  channel: string;
  /** A reply in this thread. */
  threadTs?: string | undefined;
  text: string;
  blocks?: unknown[] | undefined;
  /** Without a key (a direct message) nothing can be looked up: the post is sent once, never again. */
  key?: MessageKey | undefined;
}

export interface PostedOnce {
  channel: string;
  ts: string;
  /** Found in Slack (an earlier post whose answer was lost) rather than posted now. */
  adopted: boolean;
}

/** A post whose answer was lost is looked up and sent again at most this many times in one call. */
const MAX_POSTS = 2;
/** How far back a lookup reads the channel (the bot's report channel: a night's worth at most). */
const LOOKUP_LIMIT = 200;

export function messageMetadata(key: MessageKey) {
  return { event_type: key.eventType, event_payload: key.payload };
}

export async function postOnce(
  deps: { client: Client; logger: Pick<Logger, 'warn' | 'info'> },
  message: MessageToPost,
): Promise<PostedOnce> {
  const { client } = deps;
  const { channel, threadTs, key } = message;
  const lookup = async (): Promise<PostedOnce | undefined> => {
    if (!key) return undefined;
    const ts = await findPosted(deps, { channel, threadTs, key });
    return ts ? { channel, ts, adopted: true } : undefined;
  };
  const earlier = await lookup();
  if (earlier) return adopted(deps, earlier, key);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const args = {
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(key ? { metadata: messageMetadata(key) } : {}),
      };
      // The views build Block Kit as plain objects; Slack's types want its own block types.
      const posted = await client.chat.postMessage(args as webApi.ChatPostMessageArguments);
      return { channel: String(posted.channel ?? channel), ts: String(posted.ts), adopted: false };
    } catch (error) {
      if (!key || !outcomeUnknown(error) || attempt >= MAX_POSTS) throw error;
      deps.logger.warn(
        { err: toError(error), channel, key: key.payload },
        'a post got no answer: looking for it before posting again',
      );
      const found = await lookup();
      if (found) return adopted(deps, found, key);
    }
  }
}

function adopted(
  deps: { logger: Pick<Logger, 'info'> },
  found: PostedOnce,
  key: MessageKey | undefined,
): PostedOnce {
  deps.logger.info(
    { ...found, key: key?.payload },
    'the message was already in Slack: adopted, not posted again',
  );
  return found;
}

/**
 * The ts of the bot's message with this key in the channel (or thread), if Slack has it. A lookup
 * Slack refuses (an install without the history scopes, a thread that is gone) cannot tell, and
 * posting is the only way left; a lookup that gets no answer throws.
 */
async function findPosted(
  deps: { client: Client; logger: Pick<Logger, 'warn'> },
  params: { channel: string; threadTs: string | undefined; key: MessageKey },
): Promise<string | undefined> {
  const { client } = deps;
  const { channel, threadTs, key } = params;
  let messages: { ts?: string; metadata?: { event_type?: string; event_payload?: unknown } }[];
  try {
    const page = threadTs
      ? await client.conversations.replies({
          channel,
          ts: threadTs,
          include_all_metadata: true,
          limit: LOOKUP_LIMIT,
        })
      : await client.conversations.history({ channel, include_all_metadata: true, limit: LOOKUP_LIMIT });
    messages = page.messages ?? [];
  } catch (error) {
    const code = (error as { code?: string; data?: { error?: string } }).data?.error;
    if ((error as { code?: string }).code !== 'slack_webapi_platform_error') throw error;
    deps.logger.warn(
      { channel, slackError: code },
      'cannot look for an earlier post (re-install the app for channels:history and groups:history)',
    );
    return undefined;
  }
  const found = messages.find((m) => m.metadata?.event_type === key.eventType && matches(m.metadata, key));
  return found?.ts;
}

function matches(metadata: { event_payload?: unknown }, key: MessageKey): boolean {
  const payload = (metadata.event_payload ?? {}) as Record<string, unknown>;
  return Object.entries(key.payload).every(([name, value]) => String(payload[name]) === value);
}
