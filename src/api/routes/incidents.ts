import { z } from 'zod';
import { INCIDENT_STATUSES } from '../../core/records.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, type Route } from '../route.js';
import { csvOf, execution, idParam, incident, loose, page, pageQuery, severityList, text, timelineEntry } from '../schemas.js';

const listQuery = z.strictObject({
  ...pageQuery,
  status: csvOf(INCIDENT_STATUSES).optional(),
  severity: severityList.optional(),
  rule: text(200).optional(),
  target: text(200).optional(),
  sort: z.enum(['openedAt', 'severity', 'updatedAt']).default('openedAt'),
});

const rangeQuery = z.strictObject({ since: pageQuery.since, until: pageQuery.until });
const HOUR = 3_600_000;
const signalsQuery = z.strictObject({
  before: z.coerce.number().int().min(0).max(30 * 24 * HOUR).default(HOUR).meta({ description: 'ms of history before the incident opened' }),
  after: z.coerce.number().int().min(0).max(30 * 24 * HOUR).default(HOUR).meta({ description: 'ms after it opened' }),
});

export function incidentRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/incidents', tag: 'incidents', auth: 'viewer',
      summary: 'List incidents with filters, pagination and sort',
      query: listQuery, response: page(incident),
      handler: async ({ query: q }) => {
        if (q.sort !== 'openedAt') {
          // The store sorts by openedAt; other sorts take the filtered set (bounded) and sort it here.
          const all = await engine.listIncidents({ ...q, limit: 10_000, offset: 0 });
          const key = q.sort === 'severity' ? (i: { severity: string }) => i.severity : (i: { updatedAt: number }) => i.updatedAt;
          const sorted = [...all.items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (q.order === 'asc' ? 1 : -1));
          return { items: sorted.slice(q.offset, q.offset + q.limit), total: all.total, limit: q.limit, offset: q.offset };
        }
        const p = await engine.listIncidents(q);
        return { items: p.items, total: p.total, limit: q.limit, offset: q.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/incidents/stats', tag: 'incidents', auth: 'viewer',
      summary: 'Incident counts by rule, severity and status',
      query: rangeQuery,
      response: loose({ byRule: z.record(z.string(), z.number()), bySeverity: z.record(z.string(), z.number()), byStatus: z.record(z.string(), z.number()), total: z.number() }),
      handler: async ({ query }) => engine.incidentStats(query),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/incidents/:id', tag: 'incidents', auth: 'viewer',
      summary: 'One incident with its timeline and executions',
      params: idParam, response: incident.extend({ timeline: z.array(timelineEntry), executions: z.array(execution) }),
      handler: async ({ params: { id } }) => {
        const found = await engine.getIncident(id);
        if (!found) throw new ApiError('not_found', `no incident ${id}`);
        const [timeline, executions] = await Promise.all([
          engine.incidentTimeline(id),
          engine.listExecutions({ incidentId: id, limit: 100, order: 'asc' }),
        ]);
        return { ...found, timeline, executions: executions.items };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/incidents/:id/signals', tag: 'incidents', auth: 'viewer',
      summary: 'Signal history of the incident\'s target around it',
      params: idParam, query: signalsQuery,
      response: z.object({ series: z.array(z.object({ name: z.string(), points: z.array(z.object({ at: z.number(), value: z.number() })) })) }),
      handler: async ({ params: { id }, query }) => {
        if (!(await engine.getIncident(id))) throw new ApiError('not_found', `no incident ${id}`);
        return engine.signalsAround(id, query.before, query.after);
      },
    }),
  ];
}
