import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { classifyConnectionError, describeReason, isConfigurationProblem } from '../db/connection-errors.ts';
import { type ErrorCode, isSchedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type HttpRoute, refuse, sendDatabaseUnavailable, sendJson } from './respond.ts';

/**
 * The operations routes (cron endpoints, /healthz, /metrics) run in two hosts: as Bolt
 * CustomRoutes on the HTTPReceiver's port (HTTP mode and the local console), and in a plain
 * node:http server when Socket Mode leaves the port free. Both go through `guarded`, so method
 * checks, error bodies and logging are the same everywhere.
 */

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const STATUS_OF: Record<ErrorCode, number> = {
  usage: 400,
  not_found: 404,
  ambiguous: 409,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  unavailable: 503,
  in_use: 503,
  config: 500,
  internal: 500,
};

/** HTTP status and JSON body of an error: a coded error keeps its sentence, anything else is a 500. */
export function errorResponse(error: unknown): { status: number; body: { error: string; message: string } } {
  if (isSchedError(error))
    return { status: STATUS_OF[error.code], body: { error: error.code, message: error.message } };
  return {
    status: 500,
    body: { error: 'internal', message: 'internal error; the server log has the details' },
  };
}

function guarded(route: HttpRoute, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    if (!route.methods.includes(method)) {
      refuse(
        req,
        res,
        405,
        { error: 'method_not_allowed', message: `${route.path} accepts ${route.methods.join(', ')}` },
        { allow: route.methods.join(', ') },
      );
      return;
    }
    try {
      await route.handler(req, res);
    } catch (error) {
      const problem = classifyConnectionError(error);
      if (problem) {
        // A wrong password or an unknown database will not pass by itself: an operator must act.
        const log = { path: route.path, reason: problem.reason, detail: problem.detail };
        if (isConfigurationProblem(problem))
          logger.error(log, 'the database refuses this configuration; fix DATABASE_URL');
        else logger.warn(log, 'database unavailable');
        sendDatabaseUnavailable(res, describeReason(problem.reason));
        return;
      }
      const { status, body } = errorResponse(error);
      if (status >= 500) logger.error({ err: error, path: route.path }, 'http route failed');
      else logger.info({ path: route.path, error: body.error }, body.message);
      sendJson(res, status, body);
    }
  };
}

/** Bolt CustomRoutes: every method is registered so a wrong one gets 405 here, not Bolt's 404. */
export function toCustomRoutes(routes: HttpRoute[], logger: Logger): CustomRoute[] {
  return routes.map((route) => {
    const handler = guarded(route, logger);
    return { path: route.path, method: ALL_METHODS, handler: (req, res) => void handler(req, res) };
  });
}

/** The 404 body of a path no route serves (here and behind Bolt's receiver). */
export const notFoundBody = (req: IncomingMessage) => ({
  error: 'not_found',
  message: `no route ${req.method ?? ''} ${new URL(req.url ?? '/', 'http://localhost').pathname}`,
});

/** A node:http request listener serving `routes` (exact path match), 404 JSON for anything else. */
export function routesListener(routes: HttpRoute[], logger: Logger): RequestListener {
  const handlers = new Map(routes.map((route) => [route.path, guarded(route, logger)]));
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = handlers.get(path);
    if (handler) {
      void handler(req, res);
      return;
    }
    refuse(req, res, 404, notFoundBody(req));
  };
}

/** Starts a plain server for the routes; resolves once listening, with the bound port. */
export async function listenRoutes(
  routes: HttpRoute[],
  logger: Logger,
  options: { port: number; host?: string },
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(routesListener(routes, logger));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
