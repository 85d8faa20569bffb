import { type CronDeps, cronRoutes } from './cron-endpoints.ts';
import { type HealthDeps, healthRoute } from './health.ts';
import { metricsRoute } from './metrics-route.ts';
import { livezRoute, readyzRoute } from './probes.ts';
import type { HttpRoute } from './respond.ts';

export type OpsDeps = CronDeps & HealthDeps;

/** Every operations route of the process: the cron endpoints, the probes, /healthz and /metrics. */
export const opsRoutes = (deps: OpsDeps): HttpRoute[] => [
  ...cronRoutes(deps),
  livezRoute(deps),
  readyzRoute(deps),
  healthRoute(deps),
  metricsRoute(deps.metrics),
];
