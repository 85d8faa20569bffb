import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  type Logger as BoltLogger,
  type CustomRoute,
  HTTPReceiver,
  SocketModeReceiver,
} from '@slack/bolt';
import type { Deps } from '../context.ts';
import { bodyTooLarge, declaresTooLarge, MAX_BODY_BYTES, refuse } from '../http/respond.ts';
import { notFoundBody } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import { handleAppError } from './app-error.ts';
import { boltLogger } from './bolt-logger.ts';
import { guardEventsPath } from './request-guard.ts';
import { createSlackLink, type SlackLink } from './slack-link.ts';
import { createSocketConnection, type SocketConnection } from './socket-connection.ts';
import { slackClientOptions } from './web-client.ts';

/**
 * The Bolt app: Socket Mode when an app token is given, otherwise the HTTP receiver on `port`,
 * which also serves the ops routes (`customRoutes`: /functions/v1/*, /healthz, /metrics).
 * Transport only: the receivers, the request guard, the error handler and the link to Slack. The
 * commands and actions are registered on `app` by the composition (src/slack-bot.ts).
 */

export interface SlackAppOptions {
  botToken: string;
  signingSecret: string;
  /** xapp- token: Socket Mode. Without it, the HTTP receiver serves POST /slack/events. */
  appToken?: string | undefined;
  /** Web API base URL (`SLACK_API_URL`): tests and the local console point it at loopback. */
  apiUrl?: string | undefined;
  port: number;
  /** Interface the HTTP server binds; all interfaces by default. */
  host?: string;
  customRoutes?: CustomRoute[];
  /**
   * The link that checks Slack in the background, when the composition built it before the app
   * (its /healthz route needs it); otherwise the app makes one on its own client.
   */
  link?: SlackLink;
  /** Backoff of the background Slack check and of Socket Mode's connection (tests shorten it). */
  slackRetry?: { initialRetryMs?: number; maxRetryMs?: number };
}

export interface SlackApp {
  app: App;
  /** Whether Slack answers (for /healthz) and `onSlackBack` for work that waits for it. */
  link: SlackLink;
  /** Socket Mode only: the connection kept up in the background. */
  socket?: SocketConnection;
  /** Starts listening; resolves with the bound port (HTTP mode, or the custom routes' port). */
  start(): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

export const EVENTS_PATH = '/slack/events';

/** Stands in for the bot's ids in Bolt's context; nothing in the app reads them. */
const UNVERIFIED_BOT_ID = 'unverified';

export function createSlackApp(deps: Deps, options: SlackAppOptions): SlackApp {
  const logger = boltLogger(deps.logger);
  const socketReceiver = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logger,
        customRoutes: options.customRoutes ?? [],
        // Reconnecting is the SocketConnection's job (./socket-connection.ts): the client's own
        // gives up on an HTTP error from apps.connections.open, rejecting into nowhere.
        autoReconnectEnabled: false,
        installerOptions: {
          port: options.port,
          // One apps.connections.open call per attempt; the SocketConnection backs off between them.
          clientOptions: {
            ...slackClientOptions({ apiUrl: options.apiUrl, timeoutMs: deps.config.slack.timeoutMs }),
            retryConfig: { retries: 0 },
          },
        },
      })
    : undefined;
  const receiver = socketReceiver ?? httpReceiver(options, logger, deps.logger);

  const app = new App({
    token: options.botToken,
    // With both ids given Bolt never calls auth.test itself: its own check at construction was
    // an unhandled rejection that ended the process when Slack was unreachable, and a failed one
    // would refuse every later request. The token is checked by the SlackLink instead.
    botId: UNVERIFIED_BOT_ID,
    botUserId: UNVERIFIED_BOT_ID,
    // The app subscribes to no message events, so there is nothing of its own to ignore.
    ignoreSelf: false,
    receiver,
    logger,
    extendedErrorHandler: true,
    clientOptions: slackClientOptions({
      apiUrl: options.apiUrl,
      timeoutMs: deps.config.slack.timeoutMs,
      logger,
    }),
  });

  const link =
    options.link ??
    createSlackLink(app.client, { logger: deps.logger, clock: deps.clock, ...options.slackRetry });
  const socket = socketReceiver
    ? createSocketConnection(() => app.start(), socketReceiver.client, {
        logger: deps.logger,
        ...options.slackRetry,
      })
    : undefined;
  app.error(handleAppError({ logger: deps.logger, client: app.client }));

  return {
    app,
    link,
    ...(socket ? { socket } : {}),
    async start() {
      link.start();
      if (socket) {
        // Not awaited: Slack unreachable at start must not stop the scheduler and the workers.
        socket.start();
        return { port: options.customRoutes?.length ? options.port : undefined };
      }
      const server = (await app.start({ port: options.port, host: options.host })) as Server;
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      link.stop();
      socket?.stop();
      await app.stop();
    },
  };
}

function httpReceiver(options: SlackAppOptions, logger: BoltLogger, appLogger: Logger): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: EVENTS_PATH,
    port: options.port,
    customRoutes: options.customRoutes ?? [],
    logger,
    // Bolt buffers the whole body before it checks the signature (4 MB by default).
    bodyLimit: MAX_BODY_BYTES,
    dispatchErrorHandler: ({ error, request, response }) => {
      logger.debug(`no route: ${error.message}`);
      refuse(request, response, 404, notFoundBody(request));
    },
  });
  // Bolt's listener is wrapped: odd bodies, future-dated requests and anything that throws
  // are answered here, so no request can reject into the void (src/slack/request-guard.ts).
  const guarded = guardEventsPath(receiver.requestListener, {
    path: EVENTS_PATH,
    signingSecret: options.signingSecret,
    logger: appLogger,
    bodyLimit: MAX_BODY_BYTES,
  });
  receiver.requestListener = (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === EVENTS_PATH) {
      // Over the limit by its Content-Length: refused before a byte is read. A chunked body is
      // cut by the guard at the limit; its 413 then closes the connection instead of draining.
      if (declaresTooLarge(req)) {
        appLogger.warn('Refused a Slack request whose body is over the limit');
        refuse(req, res, 413, bodyTooLarge);
        return;
      }
      if (req.headers['content-length'] === undefined) res.setHeader('connection', 'close');
    }
    guarded(req, res);
  };
  return receiver;
}
