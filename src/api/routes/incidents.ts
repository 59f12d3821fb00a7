import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { INCIDENT_STATUSES } from '../../core/records.js';
import type { Engine } from '../../engine/engine.js';
import { ApiError } from '../errors.js';
import { csvOf, idParam, pageQuery, severityList } from './query.js';

const listQuery = z.strictObject({
  ...pageQuery,
  status: csvOf(INCIDENT_STATUSES).optional(),
  severity: severityList.optional(),
  rule: z.string().max(200).optional(),
  target: z.string().max(200).optional(),
});

export function incidentRoutes(engine: Engine): FastifyPluginAsync {
  return async (app) => {
    app.get('/incidents', async (req) => {
      const q = listQuery.parse(req.query);
      const page = await engine.store.incidents.list(q);
      return { items: page.items, total: page.total, limit: q.limit, offset: q.offset };
    });
    app.get('/incidents/:id', async (req) => {
      const { id } = idParam.parse(req.params);
      const incident = await engine.store.incidents.get(id);
      if (!incident) throw new ApiError('not_found', `no incident ${id}`);
      const [timeline, executions] = await Promise.all([
        engine.store.incidents.timeline(id),
        engine.store.executions.list({ incidentId: id, limit: 100, order: 'asc' }),
      ]);
      return { ...incident, timeline, executions: executions.items };
    });
  };
}
