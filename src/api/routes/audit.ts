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

const link = { seq: z.number().int(), hash: z.string() };
const verifyResponse = z.object({
  ok: z.boolean(),
  checked: z.number(),
  firstBad: z.object({ seq: z.number(), reason: z.string() }).nullable(),
  head: z.object(link).meta({
    description: 'The last entry read (seq 0: an empty log). Record it elsewhere: an older head later is a cut tail.',
  }),
  checkpoint: z.object({ ...link, at: z.number() }).nullable()
    .meta({ description: 'The newest signed checkpoint (HMAC with the audit key, kept outside the database).' }),
  signed: z.boolean().meta({ description: 'Whether signatures were checked; false on a store without an audit key.' }),
  unsigned: z.number().meta({ description: 'Entries without a signature (written before the store had a key).' }),
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
      summary: 'Verify the hash chain, the entries\' signatures and the signed head; the head and newest signed checkpoint',
      response: verifyResponse,
      handler: async () => engine.verifyAudit(),
    }),
  ];
}
