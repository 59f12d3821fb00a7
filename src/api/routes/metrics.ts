import type { EngineMetrics } from '../../metrics/metrics.js';
import { defineRoute, type Route } from '../route.js';

/** GET /metrics: Medic's own metrics in the Prometheus text format (src/metrics). Public, as scrapers expect. */
export function metricsRoutes(metrics: EngineMetrics): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/metrics', tag: 'meta', auth: 'public',
      summary: 'Prometheus metrics', response: { contentType: 'text/plain', description: 'Prometheus text exposition format' },
      handler: async ({ reply }) => reply.header('content-type', metrics.contentType).send(await metrics.text()),
    }),
  ];
}
