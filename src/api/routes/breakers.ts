import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { items, loose } from '../schemas.js';

const breaker = loose({ key: z.string(), state: z.enum(['open', 'closed']), failures: z.array(z.number()), openedAt: z.number().nullable(),
  reason: z.string().nullable().meta({ description: 'Why it opened when not by counted failures (the restart-loop guard).' }) });
const keyParam = z.strictObject({ key: z.string().min(3).max(260).regex(/^[\w.-]+@[\w.:-]+$/, 'not a breaker key (runbook@target)') });

export function breakerRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/breakers', tag: 'breakers', auth: 'viewer',
      summary: 'Circuit breakers with their failure history', response: items(breaker),
      handler: async () => ({ items: await engine.breakerList() }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/breakers/:key/reset', tag: 'breakers', auth: 'superadmin',
      summary: 'Close a circuit breaker', params: keyParam, response: breaker,
      handler: async ({ params, actor }) => engine.resetBreaker(params.key, actor),
    }),
  ];
}
