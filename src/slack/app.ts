import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  App,
  type Logger as BoltLogger,
  type CustomRoute,
  HTTPReceiver,
  SocketModeReceiver,
} from '@slack/bolt';
import { registerActions } from '../actions/index.ts';
import { registerCommands } from '../commands/index.ts';
import type { Deps } from '../context.ts';
import { bodyTooLarge, declaresTooLarge, MAX_BODY_BYTES, refuse } from '../http/respond.ts';
import { notFoundBody } from '../http/routes.ts';
import { createAccessChecker } from './access.ts';
import { handleAppError } from './app-error.ts';
import { boltLogger } from './bolt-logger.ts';
import { createRepairRunner, type RepairRunnerOptions } from './repair-runner.ts';
import type { SlackDeps } from './slack-deps.ts';

/**
 * The Bolt app: Socket Mode when an app token is given, otherwise the HTTP receiver on `port`,
 * which also serves the ops routes (`customRoutes`: /functions/v1/*, /healthz, /metrics).
 * Every handler is registered from src/commands and src/actions with the same SlackDeps.
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
  repair?: RepairRunnerOptions;
  /** How long the admin user group's members are cached. */
  accessCacheMs?: number;
}

export interface SlackApp {
  app: App;
  deps: SlackDeps;
  /** Starts listening; resolves with the bound port (HTTP mode, or the custom routes' port). */
  start(): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

export const EVENTS_PATH = '/slack/events';
/** Slack's replay window: a request signed more than five minutes away from now is refused. */
const MAX_CLOCK_SKEW_SEC = 5 * 60;

export function createSlackApp(deps: Deps, options: SlackAppOptions): SlackApp {
  const logger = boltLogger(deps.logger);
  const receiver = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logger,
        customRoutes: options.customRoutes ?? [],
        installerOptions: {
          port: options.port,
          clientOptions: options.apiUrl ? { slackApiUrl: options.apiUrl } : {},
        },
      })
    : httpReceiver(options, logger);

  const app = new App({
    token: options.botToken,
    receiver,
    logger,
    extendedErrorHandler: true,
    clientOptions: {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      logger,
      // Slack's 429 answers are waited out by the client; a dead API fails within a minute.
      retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 20_000 },
    },
  });

  const slackDeps: SlackDeps = {
    ...deps,
    access: createAccessChecker(deps.config.slack, app.client, {
      logger: deps.logger,
      clock: deps.clock,
      cacheMs: options.accessCacheMs,
    }),
    repairs: createRepairRunner(deps, app.client, options.repair),
  };
  registerCommands(app, slackDeps);
  registerActions(app, slackDeps);
  app.error(handleAppError(slackDeps, app.client));

  return {
    app,
    deps: slackDeps,
    async start() {
      if (options.appToken) {
        await app.start();
        return { port: options.customRoutes?.length ? options.port : undefined };
      }
      const server = (await app.start({ port: options.port, host: options.host })) as Server;
      return { port: (server.address() as AddressInfo).port };
    },
    async stop() {
      await slackDeps.repairs.stop();
      await app.stop();
    },
  };
}

function httpReceiver(options: SlackAppOptions, logger: BoltLogger): HTTPReceiver {
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
  // Bolt refuses stale timestamps but not future ones; a request dated ahead is as replayable.
  // Wall-clock time on purpose, as in Bolt's own check: signatures are about real time.
  const boltListener = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    const path = (req.url ?? '').split('?')[0];
    if (path === EVENTS_PATH && Number.isFinite(stamp) && stamp > Date.now() / 1000 + MAX_CLOCK_SKEW_SEC) {
      logger.warn('Refused a Slack request whose timestamp is more than five minutes in the future');
      refuse(req, res, 401, { error: 'unauthorized', message: 'request timestamp is in the future' });
      return;
    }
    if (path === EVENTS_PATH) {
      // Over the limit by its Content-Length: refused before Bolt reads a byte. A chunked body is
      // cut by Bolt at bodyLimit; its 413 then closes the connection instead of draining the rest.
      if (declaresTooLarge(req)) {
        logger.warn('Refused a Slack request whose body is over the limit');
        refuse(req, res, 413, bodyTooLarge);
        return;
      }
      if (req.headers['content-length'] === undefined) res.setHeader('connection', 'close');
    }
    boltListener(req, res);
  };
  return receiver;
}
