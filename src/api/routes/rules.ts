import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { items, loose, name, nameParam } from '../schemas.js';

/** A rule as in medic.yaml (name, bands, for, runbooks, ...); the engine's config compiler checks it and names the field. */
const ruleSpec = z.looseObject({ name }).meta({ description: 'a rule in the same shape as under `rules:` in medic.yaml' });
const ruleView = loose({ name: z.string(), source: z.enum(['file', 'api']) });
const testBody = z.strictObject({
  signals: z.record(name, z.record(z.string().min(1).max(128), z.number())).meta({ description: '{target: {signal: value}}' }),
});

export function ruleRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/rules', tag: 'rules', auth: 'viewer',
      summary: 'Rules from files and from the API, with current values per target',
      response: items(ruleView),
      handler: async () => ({ items: engine.ruleList() }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/rules', tag: 'rules', auth: 'admin', status: 201,
      summary: 'Create a runtime rule (persisted)',
      body: ruleSpec, response: ruleView,
      handler: async ({ body, actor }) => engine.createRule(body, actor),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/rules/test', tag: 'rules', auth: 'viewer',
      summary: 'Which rules would hold for these values, at which severity, which runbook, and whether it would need approval',
      body: testBody,
      response: z.object({ results: z.array(loose({ rule: z.string(), target: z.string(), holds: z.boolean() })) }),
      handler: async ({ body }) => ({ results: engine.testRules(body.signals) }),
    }),
    defineRoute({
      method: 'PUT', url: '/api/v1/rules/:name', tag: 'rules', auth: 'admin',
      summary: 'Replace a runtime rule',
      params: nameParam, body: ruleSpec, response: ruleView,
      handler: async ({ params, body, actor }) => engine.updateRule(params.name, body, actor),
    }),
    defineRoute({
      method: 'DELETE', url: '/api/v1/rules/:name', tag: 'rules', auth: 'admin',
      summary: 'Delete a runtime rule',
      params: nameParam, response: z.object({ deleted: z.string() }),
      handler: async ({ params, actor }) => {
        await engine.deleteRule(params.name, actor);
        return { deleted: params.name };
      },
    }),
  ];
}
