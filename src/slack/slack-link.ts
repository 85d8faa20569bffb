import type { webApi } from '@slack/bolt';
import { toError } from '../errors.ts';
import type { SlackHealth } from '../http/health.ts';
import type { Logger } from '../logger.ts';

/**
 * Whether this process can reach Slack. At start the bot token is checked with auth.test in the
 * background: Slack being down must not stop the scheduler and the workers (it used to end the
 * process after four seconds). A failed check is retried with exponential backoff until Slack
 * answers; `/healthz` and the log say so meanwhile, and `onSlackBack` listeners run once Slack
 * answers again (the serve wiring posts what could not be posted while it was away).
 */

export interface SlackLinkOptions {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  clock: () => Date;
  /** First wait after a failed check, doubled up to maxRetryMs. */
  initialRetryMs?: number;
  maxRetryMs?: number;
}

export interface SlackLink {
  /** Starts checking (returns at once). */
  start(): void;
  status(): SlackHealth;
  /** A Slack call failed for lack of a connection: mark unreachable and check until it is back. */
  reportUnreachable(error: unknown): void;
  /** Runs `listener` every time Slack answers again after being unreachable. */
  onSlackBack(listener: () => unknown): () => void;
  stop(): void;
}

const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
]);

/** The Slack platform error code of a WebClient error (`invalid_auth`), if it is one. */
function platformError(error: unknown): string | undefined {
  const e = error as { code?: string; data?: { error?: string } };
  return e?.code === 'slack_webapi_platform_error' ? e.data?.error : undefined;
}

export function createSlackLink(
  client: Pick<webApi.WebClient, 'auth'>,
  options: SlackLinkOptions,
): SlackLink {
  const initial = options.initialRetryMs ?? 1_000;
  const max = options.maxRetryMs ?? 60_000;
  const { logger } = options;
  let health: SlackHealth = { reachable: null, since: options.clock().toISOString() };
  let timer: NodeJS.Timeout | undefined;
  let checking = false;
  let stopped = false;
  let wait = initial;
  const listeners = new Set<() => unknown>();

  const set = (next: Omit<SlackHealth, 'since'>) => {
    const changed = next.reachable !== health.reachable || next.authError !== health.authError;
    health = { ...next, since: changed ? options.clock().toISOString() : health.since };
    return changed;
  };

  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void check();
    }, wait);
    wait = Math.min(wait * 2, max);
  };

  async function check(): Promise<void> {
    if (checking || stopped) return;
    checking = true;
    const wasDown = health.reachable === false;
    try {
      await client.auth.test();
      wait = initial;
      if (set({ reachable: true })) logger.info(wasDown ? 'Slack is reachable again' : 'Slack is reachable');
      if (wasDown) {
        for (const listener of listeners) {
          Promise.resolve()
            .then(listener)
            .catch((error: unknown) =>
              logger.error({ err: toError(error) }, 'a task waiting for Slack to come back failed'),
            );
        }
      }
    } catch (error) {
      const code = platformError(error);
      const message = code ?? toError(error).message;
      if (code && AUTH_ERRORS.has(code)) {
        if (set({ reachable: true, authError: code, lastError: code }))
          logger.error({ slackError: code }, 'Slack refuses the bot token; set a valid SLACK_BOT_TOKEN');
      } else if (set({ reachable: false, lastError: message })) {
        logger.warn(
          { err: toError(error) },
          'Slack is unreachable; the scheduler and workers keep running, retrying in the background',
        );
      } else {
        health = { ...health, lastError: message };
      }
      schedule();
    } finally {
      checking = false;
    }
  }

  return {
    start: () => void check(),
    status: () => ({ ...health }),
    reportUnreachable(error) {
      if (set({ reachable: false, lastError: toError(error).message }))
        logger.warn({ err: toError(error) }, 'Slack is unreachable; retrying in the background');
      schedule();
    },
    onSlackBack(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
