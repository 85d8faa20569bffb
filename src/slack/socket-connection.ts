import type { SocketModeReceiver } from '@slack/bolt';
import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Keeps the Socket Mode connection up without ever stopping the process. The socket-mode client
 * on its own rejects `app.start()` when apps.connections.open fails with an HTTP error (Slack
 * down) and retries a refused connection for hours inside `start()`, so `sched serve` either
 * exited or never got to start its scheduler. Here every attempt is one apps.connections.open
 * call and one WebSocket: a failed attempt, or a connection Slack drops, is retried in the
 * background with exponential backoff (the client's own reconnect is turned off in app.ts).
 */

export interface SocketConnectionOptions {
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** First wait after a failed attempt, doubled up to maxRetryMs. */
  initialRetryMs?: number;
  maxRetryMs?: number;
}

export interface SocketConnection {
  /** Starts connecting (returns at once). */
  start(): void;
  connected(): boolean;
  /** Stops retrying; the receiver's stop (Bolt's app.stop()) closes the connection. */
  stop(): void;
}

type Client = Pick<SocketModeReceiver['client'], 'start' | 'on'>;

/** Slack refuses the app-level token: retrying helps only once an operator fixed it. */
const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'user_removed_from_team',
  'team_disabled',
]);

export function createSocketConnection(
  /** The first attempt (Bolt's app.start(): also opens the custom routes' server). */
  firstStart: () => Promise<unknown>,
  client: Client,
  options: SocketConnectionOptions,
): SocketConnection {
  const initial = options.initialRetryMs ?? 1_000;
  const max = options.maxRetryMs ?? 60_000;
  const { logger } = options;
  let started = false;
  let stopped = false;
  let attempting = false;
  let isConnected = false;
  let failing = false;
  let wait = initial;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (delayMs: number) => {
    if (stopped || timer || attempting) return;
    timer = setTimeout(() => {
      timer = undefined;
      void attempt();
    }, delayMs);
  };

  async function attempt(): Promise<void> {
    if (stopped || attempting) return;
    attempting = true;
    try {
      const first = !started;
      started = true;
      await (first ? firstStart() : client.start());
      if (stopped) return;
      isConnected = true;
      wait = initial;
      logger.info(failing ? 'Socket Mode connected again' : 'Socket Mode connected');
      failing = false;
    } catch (error) {
      if (stopped) return;
      const code = (error as { data?: { error?: string } })?.data?.error;
      if (code && AUTH_ERRORS.has(code)) {
        logger.error({ slackError: code }, 'Slack refuses the app-level token; set a valid SLACK_APP_TOKEN');
      } else if (!failing) {
        logger.warn(
          { err: toError(error) },
          'Socket Mode cannot connect to Slack; the scheduler and workers keep running, retrying in the background',
        );
      }
      failing = true;
      attempting = false;
      schedule(wait);
      wait = Math.min(wait * 2, max);
    } finally {
      attempting = false;
    }
  }

  // With the client's own reconnect off, a closed connection (Slack recycling its host, a
  // network drop, a failed handshake) ends here; a live one that closes is made again at once.
  client.on('disconnected', () => {
    if (stopped || attempting) return;
    if (isConnected) {
      isConnected = false;
      logger.warn({}, 'Socket Mode connection closed; connecting again');
      schedule(0);
    }
  });

  return {
    start: () => void attempt(),
    connected: () => isConnected,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      isConnected = false;
    },
  };
}
