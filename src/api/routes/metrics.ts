import type { FastifyPluginAsync } from 'fastify';
import type { EngineMetrics } from '../../metrics/metrics.js';

/** GET /metrics: Medic's own metrics in the Prometheus text format (src/metrics). */
export function metricsRoutes(metrics: EngineMetrics): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', async (_req, reply) => reply.header('content-type', metrics.contentType).send(await metrics.text()));
  };
}
