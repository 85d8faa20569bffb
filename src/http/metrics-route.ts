import type { Metrics } from '../metrics/metrics.ts';
import { type HttpRoute, sendText } from './respond.ts';

/** GET /metrics: the Prometheus text format, database gauges computed at scrape time. */
export function metricsRoute(metrics: Metrics): HttpRoute {
  return {
    path: '/metrics',
    methods: ['GET'],
    async handler(_req, res) {
      const { contentType, body } = await metrics.render();
      sendText(res, 200, contentType, body);
    },
  };
}
