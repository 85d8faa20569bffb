import { type Logger as BoltLogger, webApi } from '@slack/bolt';

/**
 * The one way a Slack Web API client is made (the Bolt app, the reporter of `serve`, the CLI, the
 * console): every request gives up after `timeoutMs`, and a failed one is tried again a couple of
 * times, never for long. A method that acts each time it is called (a post) is retried only when
 * Slack said it did nothing (429): after a timeout, a reset or a 5xx its outcome is unknown, and
 * sending it again would post twice. That error reaches the caller, marked (`outcomeUnknown`), and
 * the caller looks for the message before it posts again (src/report/post-once.ts).
 */

export const DEFAULT_SLACK_TIMEOUT_MS = 5_000;

export interface SlackClientSettings {
  /** Web API base URL (`SLACK_API_URL`); Slack's own when unset. */
  apiUrl?: string | undefined;
  /** Per request (`SLACK_TIMEOUT_MS`). */
  timeoutMs?: number | undefined;
  logger?: BoltLogger | undefined;
}

/** Methods that act again when sent again. */
const ACTS_EACH_TIME = new Set([
  'chat.postMessage',
  'chat.postEphemeral',
  'chat.scheduleMessage',
  'chat.meMessage',
  'files.completeUploadExternal',
  'views.open',
  'views.push',
]);

const UNKNOWN = Symbol('outcome unknown');

export function slackClientOptions(settings: SlackClientSettings): webApi.WebClientOptions {
  return {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    ...(settings.logger ? { logger: settings.logger } : {}),
    timeout: settings.timeoutMs ?? DEFAULT_SLACK_TIMEOUT_MS,
    fetch: markUnknownOutcomes,
    retryConfig: RETRIES,
  };
}

/** A few seconds of retries at most (plus Slack's Retry-After on a 429), not the client's half hour. */
const RETRIES: webApi.RetryOptions & { onFailedAttempt(error: Error): void } = {
  retries: 2,
  factor: 2,
  minTimeout: 500,
  maxTimeout: 5_000,
  // Throwing here stops the client's retries: the caller decides, after a lookup.
  onFailedAttempt: (error) => {
    if (outcomeUnknown(error)) throw error;
  },
};

export function createSlackClient(token: string, settings: SlackClientSettings): webApi.WebClient {
  return new webApi.WebClient(token, slackClientOptions(settings));
}

/** Whether a failed call may have acted in Slack all the same (a post whose answer was lost). */
export function outcomeUnknown(error: unknown): boolean {
  const original = (error as { original?: unknown } | undefined)?.original;
  return typeof original === 'object' && original !== null && UNKNOWN in original;
}

/**
 * fetch for the client: a post that got no answer, or a 5xx, fails with a marked error (the client
 * wraps it in its request error, keeping it as `original`).
 */
async function markUnknownOutcomes(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = input instanceof Request ? input.url : String(input);
  const method = new URL(url).pathname.split('/').pop() ?? '';
  if (!ACTS_EACH_TIME.has(method)) return fetch(input, init);
  let response: Response;
  try {
    response = await fetch(input, init);
  } catch (error) {
    throw unknownOutcome(method, error);
  }
  if (response.status >= 500) {
    await response.body?.cancel().catch(() => undefined);
    throw unknownOutcome(method, new Error(`HTTP ${response.status}`));
  }
  return response;
}

function unknownOutcome(method: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return Object.assign(new Error(`${method} got no answer (${reason}): it may have been done`, { cause }), {
    [UNKNOWN]: true,
  });
}
