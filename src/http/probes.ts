import type { Deps } from '../context.ts';
import { ping } from '../db/client.ts';
import { withDeadline } from '../time/waits.ts';
import { type HttpRoute, sendDatabaseUnavailable, sendJson } from './respond.ts';

/**
 * Probes for service managers and load balancers, never red for the night's business state
 * (that is /healthz, for monitors): restarting or draining this process would not bring a missed
 * night or a failed provider back.
 * - GET /livez: the process runs and answers HTTP (always 200 while it is up).
 * - GET /readyz: the database answers (200), else 503 with Retry-After.
 */

const READY_TIMEOUT_MS = 3_000;

export function livezRoute(deps: Pick<Deps, 'clock'>): HttpRoute {
  return {
    path: '/livez',
    methods: ['GET', 'HEAD'],
    async handler(_req, res) {
      sendJson(res, 200, { status: 'ok', checkedAt: deps.clock().toISOString() });
    },
  };
}

export function readyzRoute(deps: Pick<Deps, 'db' | 'clock'>): HttpRoute {
  return {
    path: '/readyz',
    methods: ['GET', 'HEAD'],
    async handler(_req, res) {
      try {
        await withDeadline(ping(deps.db), READY_TIMEOUT_MS, (): never => {
          throw new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
        });
      } catch (error) {
        sendDatabaseUnavailable(res, error instanceof Error ? error.message : String(error), {
          status: 'unready',
        });
        return;
      }
      sendJson(res, 200, { status: 'ready', database: 'reachable', checkedAt: deps.clock().toISOString() });
    },
  };
}
