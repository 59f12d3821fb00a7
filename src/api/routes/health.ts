import type { FastifyPluginAsync } from 'fastify';
import type { Engine } from '../../engine/engine.js';

export function healthRoutes(engine: Engine): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const s = engine.runtimeSettings();
      return reply.send({ status: 'ready', mode: s.mode, autoRemediation: s.autoRemediation });
    });
  };
}
