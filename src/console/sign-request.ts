import { createHmac } from 'node:crypto';

/**
 * Slack request payloads and their `v0` signatures, as Slack sends them: slash commands
 * (form fields), interactivity (a form field `payload` holding JSON) and Events API callbacks
 * (JSON). The end-to-end tests and the local console both drive the Bolt app through these, so
 * the console exercises exactly the code path a real workspace does.
 */

export const TEST_TEAM = { id: 'T0SCHED01', domain: 'sched-bot' } as const;
export const TEST_APP_ID = 'A0SCHEDBOT';

export interface SlackRequest {
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  body: string;
}

let sequence = 0;
/** Trigger ids and action timestamps only need to be unique within a process. */
const nextId = () => `${Date.now()}.${(++sequence).toString().padStart(6, '0')}`;

const user = (userId: string) => ({
  id: userId,
  username: userId.toLowerCase(),
  name: userId.toLowerCase(),
  team_id: TEST_TEAM.id,
});
const form = (fields: Record<string, string>): SlackRequest => ({
  contentType: 'application/x-www-form-urlencoded',
  body: new URLSearchParams(fields).toString(),
});
const interactive = (payload: Record<string, unknown>): SlackRequest =>
  form({ payload: JSON.stringify(payload) });

export interface CommandInput {
  command: string;
  text?: string;
  userId: string;
  channelId?: string;
  responseUrl: string;
  triggerId?: string;
}

export function buildCommand(input: CommandInput): SlackRequest {
  return form({
    token: 'verification-token-unused',
    team_id: TEST_TEAM.id,
    team_domain: TEST_TEAM.domain,
    channel_id: input.channelId ?? 'C0COMMANDS',
    channel_name: 'ops',
    user_id: input.userId,
    user_name: input.userId.toLowerCase(),
    command: input.command,
    text: input.text ?? '',
    api_app_id: TEST_APP_ID,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId ?? nextId(),
  });
}

/** The message a button sits in: channel, ts, whether it is ephemeral, and its blocks. */
export interface ActionContainer {
  channelId: string;
  messageTs?: string;
  isEphemeral?: boolean;
  message?: { ts?: string; text?: string; blocks?: unknown[] };
  /** A button inside a modal or the Home tab. */
  view?: {
    id: string;
    type: 'modal' | 'home';
    callback_id?: string;
    private_metadata?: string;
    hash?: string;
    /** The modal's input state so far: block_id -> action_id -> element state. */
    state?: { values: Record<string, Record<string, Record<string, unknown>>> };
  };
}

export interface BlockActionInput {
  actionId: string;
  value?: string;
  userId: string;
  responseUrl?: string;
  blockId?: string;
  container?: ActionContainer;
  /** The action element itself, for selects: `{ type: 'static_select', selected_option: {...} }`. */
  action?: Record<string, unknown>;
  triggerId?: string;
}

export function buildBlockAction(input: BlockActionInput): SlackRequest {
  const c = input.container ?? { channelId: 'C0COMMANDS' };
  const ts = c.messageTs ?? c.message?.ts;
  const container = c.view
    ? { type: 'view', view_id: c.view.id }
    : { type: 'message', message_ts: ts, channel_id: c.channelId, is_ephemeral: c.isEphemeral ?? false };
  return interactive({
    type: 'block_actions',
    user: user(input.userId),
    api_app_id: TEST_APP_ID,
    token: 'verification-token-unused',
    container,
    trigger_id: input.triggerId ?? nextId(),
    team: TEST_TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: c.view ? undefined : { id: c.channelId, name: 'ops' },
    message: c.view ? undefined : { type: 'message', ts, ...c.message },
    view: c.view ? { team_id: TEST_TEAM.id, ...c.view } : undefined,
    response_url: input.responseUrl,
    actions: [
      {
        action_id: input.actionId,
        block_id: input.blockId ?? 'block',
        type: 'button',
        value: input.value,
        action_ts: nextId(),
        ...input.action,
      },
    ],
  });
}

export interface ViewSubmissionInput {
  callbackId: string;
  userId: string;
  /** state.values: block_id -> action_id -> element state ({ type, selected_option } ...). */
  values: Record<string, Record<string, Record<string, unknown>>>;
  privateMetadata?: string;
  viewId?: string;
}

export function buildViewSubmission(input: ViewSubmissionInput): SlackRequest {
  return interactive({
    type: 'view_submission',
    team: TEST_TEAM,
    user: user(input.userId),
    api_app_id: TEST_APP_ID,
    token: 'verification-token-unused',
    trigger_id: nextId(),
    view: {
      id: input.viewId ?? `V${nextId().replace('.', '')}`,
      team_id: TEST_TEAM.id,
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata ?? '',
      state: { values: input.values },
      hash: nextId(),
      blocks: [],
    },
    response_urls: [],
    is_enterprise_install: false,
  });
}

export interface OptionsRequestInput {
  actionId: string;
  blockId?: string;
  value: string;
  userId: string;
  /** The modal the select lives in; a message select when absent. */
  view?: { id: string; callback_id: string };
}

export function buildOptionsRequest(input: OptionsRequestInput): SlackRequest {
  return interactive({
    type: 'block_suggestion',
    user: user(input.userId),
    container: input.view ? { type: 'view', view_id: input.view.id } : { type: 'message' },
    api_app_id: TEST_APP_ID,
    token: 'verification-token-unused',
    action_id: input.actionId,
    block_id: input.blockId ?? 'block',
    value: input.value,
    team: TEST_TEAM,
    view: input.view ? { type: 'modal', team_id: TEST_TEAM.id, ...input.view } : undefined,
  });
}

export function buildEvent(event: Record<string, unknown>): SlackRequest {
  const id = nextId();
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      token: 'verification-token-unused',
      team_id: TEST_TEAM.id,
      api_app_id: TEST_APP_ID,
      event: { event_ts: id, ...event },
      type: 'event_callback',
      event_id: `Ev${id.replace('.', '')}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: TEST_TEAM.id, user_id: 'U0SCHEDBOT', is_bot: true }],
    }),
  };
}

export const buildAppHomeOpened = (userId: string) =>
  buildEvent({ type: 'app_home_opened', user: userId, channel: `D${userId}`, tab: 'home' });

/** `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`, the signature Slack puts on every request. */
export function signature(secret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  signingSecret: string;
  /** Seconds since the epoch written in X-Slack-Request-Timestamp; now by default. */
  timestampSec?: number;
  /** Sign one body and send another, as a tampering proxy would. */
  tamperedBody?: string;
  /** X-Slack-Retry-Num, as on Slack's redelivery of an event it thinks was lost. */
  retryNum?: number;
}

export interface SlackHttpResponse {
  status: number;
  text: string;
  /** The body parsed as JSON when it is JSON (options lists, view responses), else undefined. */
  json: unknown;
}

/** Signs and POSTs a request to the app's events URL, returning Bolt's HTTP answer (the ack). */
export async function sendSigned(
  url: string,
  request: SlackRequest,
  options: SendOptions,
): Promise<SlackHttpResponse> {
  const timestampSec = options.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': request.contentType,
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': signature(options.signingSecret, timestampSec, request.body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: options.tamperedBody ?? request.body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}
