import { asArray, asObject, type Json, type SelectOption, field as text } from './controls.ts';
import { CONSOLE_CHANNEL } from './local-slack.ts';
import type { WebApiCall } from './local-web-api.ts';
import type { SharedFileNotice } from './shared-files.ts';
import type { ActionContainer } from './sign-request.ts';

/**
 * Pure: how the console reads what the app sent to the Web API stand-in, and where a control it
 * shows sits (the message or view a block action must name as its container).
 */

/** Where a numbered control was shown: a message (key channel/ts) or a view (key view/id). */
export type Source =
  | { kind: 'message'; key: string; channelId: string; ts: string; ephemeral: boolean; message: Json }
  | { kind: 'view'; key: string; view: Json };

export function messageSource(
  message: Json,
  where: { channelId: string; ts: string; ephemeral: boolean },
): Source {
  return {
    kind: 'message',
    key: `${where.channelId}/${where.ts}`,
    ...where,
    message: { ...message, ts: where.ts },
  };
}

export const viewSource = (view: Json, kind: 'modal' | 'home'): Source => ({
  kind: 'view',
  key: `view/${text(view.id) || kind}`,
  view,
});

/** The container of a block_actions payload for a control shown in `source`. */
export function containerOf(source: Source): ActionContainer {
  if (source.kind === 'message') {
    return {
      channelId: source.channelId,
      messageTs: source.ts,
      isEphemeral: source.ephemeral,
      message: source.message,
    };
  }
  return {
    channelId: CONSOLE_CHANNEL,
    view: {
      id: text(source.view.id),
      type: source.view.type === 'home' ? 'home' : 'modal',
      callback_id: text(source.view.callback_id),
      private_metadata: text(source.view.private_metadata),
    },
  };
}

/** The options of a block_suggestion answer (`options` or `option_groups`). */
export function suggestedOptions(answer: unknown): SelectOption[] {
  const body = asObject(answer);
  const groups = asArray(body.option_groups);
  const options = groups.length ? groups.flatMap((g) => asArray(g.options)) : asArray(body.options);
  return options.map((o) => ({ text: text(asObject(o.text).text), value: text(o.value) }));
}

/** What one recorded Web API call means for the console user; undefined: nothing to show. */
export type Shown =
  | { kind: 'notice'; text: string }
  | {
      kind: 'message';
      title: string;
      message: Json;
      where: { channelId: string; ts: string; ephemeral: boolean };
    }
  | { kind: 'view'; view: Json; as: 'modal' | 'home' }
  | SharedFileNotice
  | undefined;

export function describeCall(call: WebApiCall, reportChannel: string): Shown {
  const { body, response } = call;
  if (response.ok === false)
    return { kind: 'notice', text: `! Slack ${call.method} failed: ${text(response.error)}` };
  switch (call.method) {
    case 'chat.postMessage':
    case 'chat.update': {
      const channelId = text(response.channel) || text(body.channel);
      const where = channelId === reportChannel ? `#${channelId} (report channel)` : `#${channelId}`;
      const verb = call.method === 'chat.update' ? 'edited its message' : 'posted';
      return {
        kind: 'message',
        title: `sched-bot ${verb} in ${where}`,
        message: body,
        where: { channelId, ts: text(response.ts), ephemeral: false },
      };
    }
    case 'chat.postEphemeral':
      return {
        kind: 'message',
        title: 'sched-bot (only visible to you)',
        message: body,
        where: { channelId: text(body.channel), ts: text(response.message_ts), ephemeral: true },
      };
    case 'response_url': {
      if (body.delete_original === true) return { kind: 'notice', text: '(sched-bot deleted its answer)' };
      const inChannel = body.response_type === 'in_channel';
      const who = inChannel ? `in #${CONSOLE_CHANNEL}` : '(only visible to you)';
      return {
        kind: 'message',
        title: `sched-bot ${who}${body.replace_original === true ? ', replacing its answer' : ''}`,
        message: body,
        where: { channelId: CONSOLE_CHANNEL, ts: `r-${call.responseId ?? call.seq}`, ephemeral: !inChannel },
      };
    }
    case 'views.open':
    case 'views.push':
    case 'views.update':
      return { kind: 'view', view: asObject(response.view), as: 'modal' };
    case 'views.publish':
      return { kind: 'view', view: asObject(response.view), as: 'home' };
    case 'files.completeUploadExternal':
      return {
        kind: 'file',
        files: asArray(response.files).map((f) => ({
          id: text(f.id),
          title: text(f.title),
          name: text(f.name),
        })),
        channelId: text(body.channel_id),
        threadTs: text(body.thread_ts) || undefined,
      };
    default:
      return undefined;
  }
}
