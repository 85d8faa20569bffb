import { type CronDeps, cronRoutes } from './cron-endpoints.ts';
import { type HealthDeps, healthRoute } from './health.ts';
import { metricsRoute } from './metrics-route.ts';
import type { HttpRoute } from './respond.ts';

export type OpsDeps = CronDeps & HealthDeps;

/** Every operations route of the process: the cron endpoints, /healthz and /metrics. */
export const opsRoutes = (deps: OpsDeps): HttpRoute[] => [
  ...cronRoutes(deps),
  healthRoute(deps),
  metricsRoute(deps.metrics),
];
