import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { auditEntry, id, page, pageQuery, text } from '../schemas.js';

const listQuery = z.strictObject({
  limit: pageQuery.limit, offset: pageQuery.offset, since: pageQuery.since, until: pageQuery.until,
  kind: text(64).optional(), actor: text(128).optional(), subject: text(200).optional(),
  incident: id.optional().meta({ description: 'entries whose subject is this incident' }),
  execution: id.optional().meta({ description: 'entries whose subject is this execution' }),
});

export function auditRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/audit', tag: 'audit', auth: 'viewer',
      summary: 'The audit log, newest first, by time range, kind, actor, incident or execution',
      query: listQuery, response: page(auditEntry),
      handler: async ({ query: q }) => {
        const subject = q.subject ?? q.execution ?? q.incident;
        const p = await engine.listAudit({
          limit: q.limit, offset: q.offset, since: q.since, until: q.until, kind: q.kind, actor: q.actor, subject,
        });
        return { items: p.items, total: p.total, limit: q.limit, offset: q.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/audit/verify', tag: 'audit', auth: 'viewer',
      summary: 'Verify the hash chain',
      response: z.object({ ok: z.boolean(), checked: z.number(), firstBad: z.object({ seq: z.number(), reason: z.string() }).nullable() }),
      handler: async () => engine.verifyAudit(),
    }),
  ];
}
