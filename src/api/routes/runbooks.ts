import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, JSON_TYPE, type Route } from '../route.js';
import { items, loose, nameParam } from '../schemas.js';

const runbookView = loose({ name: z.string(), description: z.string().nullable().optional(), risk: z.string(), strategies: z.array(z.unknown()) });
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'] as const;

export function runbookRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/runbooks', tag: 'runbooks', auth: 'viewer',
      summary: 'Loaded runbooks', response: items(runbookView),
      handler: async () => ({ items: engine.runbookList() }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/runbooks/validate', tag: 'runbooks', auth: 'viewer',
      summary: 'Validate a runbook (YAML text, or JSON) without loading it',
      body: z.union([z.string().max(512 * 1024), z.record(z.string(), z.unknown())]),
      bodyTypes: [JSON_TYPE, ...YAML_TYPES],
      response: z.object({ valid: z.boolean(), errors: z.array(z.object({ line: z.number().nullable(), field: z.string(), message: z.string() })) }),
      handler: async ({ body }) => engine.validateRunbook(typeof body === 'string' ? body : JSON.stringify(body)),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/runbooks/:name', tag: 'runbooks', auth: 'viewer',
      summary: 'One runbook in full', params: nameParam, response: runbookView,
      handler: async ({ params }) => {
        const rb = engine.runbook(params.name);
        if (!rb) throw new ApiError('not_found', `no runbook ${params.name}`);
        return rb;
      },
    }),
  ];
}
