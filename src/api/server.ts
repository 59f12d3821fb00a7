import Fastify, { type FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import type { Engine } from '../engine/engine.js';
import { ApiError } from './errors.js';
import { executionRoutes } from './routes/executions.js';
import { healthRoutes } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { defaultWebRoot, serveWeb } from './web.js';

export interface ApiOptions {
  readonly engine: Engine;
  readonly bodyLimit?: number;
  /** The built dashboard (dist/web by default), served at `/`. */
  readonly webRoot?: string;
}

/** The HTTP face of the engine. Built here, listened on by the caller. */
export function buildServer(opts: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024 });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(err.toBody());
    if (err instanceof ZodError) {
      const details = err.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
      const first = details[0];
      return reply.status(400).send(new ApiError('bad_request', first ? `${first.field || 'request'}: ${first.message}` : 'bad request', details).toBody());
    }
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (e.statusCode === 413) return reply.status(413).send(new ApiError('payload_too_large', e.message ?? 'body too large').toBody());
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.status(e.statusCode).send(new ApiError('bad_request', e.message ?? 'bad request').toBody());
    }
    return reply.status(500).send(new ApiError('internal', 'internal error').toBody());
  });
  const webRoot = opts.webRoot ?? defaultWebRoot();
  app.setNotFoundHandler(async (req, reply) => {
    if (await serveWeb(webRoot, req, reply)) return reply;
    return reply.status(404).send(new ApiError('not_found', `no route ${req.method} ${req.url}`).toBody());
  });
  void app.register(healthRoutes(opts.engine));
  void app.register(incidentRoutes(opts.engine), { prefix: '/api/v1' });
  void app.register(executionRoutes(opts.engine), { prefix: '/api/v1' });
  return app;
}
