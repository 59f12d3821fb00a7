import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { loose } from '../schemas.js';

const mttr = z.object({ median: z.number(), p90: z.number() }).nullable();
const counts = { executed: z.number(), succeeded: z.number(), failed: z.number(), rolledBack: z.number(), successRate: z.number().nullable(), mttrMs: mttr };
const components = z.object({ compute: z.number(), network: z.number(), storage: z.number(), database: z.number(), security: z.number() });

export function statsRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/stats', tag: 'stats', auth: 'viewer',
      summary: 'Detected, executed, succeeded, failed, rolled back, success rate and MTTR over a window, per runbook',
      query: z.strictObject({ window: z.enum(['24h', '7d', '30d']).default('24h') }),
      response: loose({ window: z.string(), detected: z.number(), ...counts, perRunbook: z.array(loose({ runbook: z.string(), ...counts })) }),
      handler: async ({ query }) => engine.stats(query.window),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/health-score', tag: 'stats', auth: 'viewer',
      summary: 'Health score 0-100, per component, with a 24-hour series',
      response: loose({ score: z.number(), components, series: z.array(z.object({ at: z.number(), score: z.number() })) }),
      handler: async () => engine.healthScore(),
    }),
  ];
}
