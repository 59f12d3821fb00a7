import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { EXECUTION_STATUSES } from '../../core/records.js';
import type { Engine } from '../../engine/engine.js';
import { ApprovalError } from '../../engine/remediator.js';
import { ApiError } from '../errors.js';
import { csvOf, idParam, pageQuery } from './query.js';

const listQuery = z.strictObject({
  ...pageQuery,
  status: csvOf(EXECUTION_STATUSES).optional(),
  runbook: z.string().max(200).optional(),
  target: z.string().max(200).optional(),
  incident: z.string().max(64).optional(),
});

const decisionBody = z.strictObject({
  comment: z.string().max(2000).optional(),
  reason: z.string().max(2000).optional(),
});

export function executionRoutes(engine: Engine): FastifyPluginAsync {
  return async (app) => {
    app.get('/executions', async (req) => {
      const q = listQuery.parse(req.query);
      const page = await engine.store.executions.list({ ...q, incidentId: q.incident });
      return { items: page.items, total: page.total, limit: q.limit, offset: q.offset };
    });
    app.get('/executions/:id', async (req) => {
      const { id } = idParam.parse(req.params);
      const execution = await engine.store.executions.get(id);
      if (!execution) throw new ApiError('not_found', `no execution ${id}`);
      return { ...execution, steps: await engine.store.executions.steps(id) };
    });
    // Until tokens land (API issue), the actor is who the caller says it is; the server listens on loopback by default.
    app.post('/executions/:id/approve', async (req) => {
      const { id } = idParam.parse(req.params);
      const body = decisionBody.parse(req.body ?? {});
      return decision(() => engine.remediator.approve(id, actorOf(req.headers), body.comment ?? null));
    });
    app.post('/executions/:id/reject', async (req) => {
      const { id } = idParam.parse(req.params);
      const body = decisionBody.parse(req.body ?? {});
      return decision(() => engine.remediator.reject(id, actorOf(req.headers), body.reason ?? body.comment ?? 'no reason given'));
    });
  };
}

function actorOf(headers: Record<string, unknown>): string {
  const v = headers['x-medic-actor'];
  return typeof v === 'string' && /^[\w.@-]{1,64}$/.test(v) ? v : 'cli';
}

async function decision<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApprovalError) throw new ApiError(err.code, err.message);
    throw err;
  }
}
