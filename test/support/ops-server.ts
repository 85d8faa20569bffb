import type { Deps } from '../../src/context.ts';
import type { HealthDeps } from '../../src/http/health.ts';
import { opsRoutes } from '../../src/http/ops-routes.ts';
import { listenRoutes } from '../../src/http/routes.ts';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.ts';
import type { NightReporter } from '../../src/scheduler/night-reporter.ts';
import type { PostcheckResult } from '../../src/scheduler/postcheck.ts';

/** The ops routes (cron endpoints, /healthz, /metrics) on a plain loopback server, for HTTP tests. */
export interface OpsServer {
  url: string;
  metrics: Metrics;
  postchecks: PostcheckResult[];
  close(): Promise<void>;
}

export async function startOpsServer(
  deps: Deps,
  options: { workers?: HealthDeps['workers']; reporter?: NightReporter } = {},
): Promise<OpsServer> {
  const metrics = createMetrics(deps);
  const postchecks: PostcheckResult[] = [];
  const routes = opsRoutes({
    ...deps,
    reporter: options.reporter,
    metrics,
    workers: options.workers ?? (() => ({ expected: 1, alive: 1 })),
    onPostcheck: async (result) => {
      postchecks.push(result);
    },
  });
  const server = await listenRoutes(routes, deps.logger, { port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${server.port}`, metrics, postchecks, close: server.close };
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read nested fields of whatever JSON came back.
type JsonBody = Record<string, any>;

export async function call(
  url: string,
  init: { method?: string; secret?: string } = {},
): Promise<{ status: number; headers: Headers; json: JsonBody; text: string }> {
  // A new connection per call: a kept-alive one can be closed by the server's idle timeout just as
  // a request goes out on it ("other side closed"), which a busy machine's stalls make likely.
  const headers: Record<string, string> = { connection: 'close' };
  if (init.secret !== undefined) headers['x-cron-secret'] = init.secret;
  const response = await fetch(url, { method: init.method ?? 'POST', headers });
  const text = await response.text();
  let json: JsonBody = {};
  try {
    json = JSON.parse(text) as JsonBody;
  } catch {
    json = {};
  }
  return { status: response.status, headers: response.headers, json, text };
}
