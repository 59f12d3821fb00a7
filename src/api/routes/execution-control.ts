import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Engine } from '../../engine/engine.js';
import { ApprovalError } from '../../engine/remediator.js';
import { ApiError } from '../errors.js';
import { idParam } from './query.js';

const resumeBody = z.strictObject({
  /** The step in doubt did happen (a person checked): do not run it again. */
  assume_done: z.boolean().optional(),
  comment: z.string().max(2000).optional(),
});

const abandonBody = z.strictObject({
  reason: z.string().min(1).max(2000),
});

/**
 * A person's decision about an execution held after a crash (status `held`):
 * resume it (the step in doubt runs again, or is taken as done) or abandon it.
 * Role: admin, like approvals (the integrator wires roles with tokens).
 */
export function executionControlRoutes(engine: Engine): FastifyPluginAsync {
  return async (app) => {
    app.post('/executions/:id/resume', async (req) => {
      const { id } = idParam.parse(req.params);
      const body = resumeBody.parse(req.body ?? {});
      return decision(() => engine.control.resume(id, actorOf(req.headers), { assumeDone: body.assume_done ?? false, comment: body.comment ?? null }));
    });
    app.post('/executions/:id/abandon', async (req) => {
      const { id } = idParam.parse(req.params);
      const body = abandonBody.parse(req.body ?? {});
      return decision(() => engine.control.abandon(id, actorOf(req.headers), body.reason));
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
