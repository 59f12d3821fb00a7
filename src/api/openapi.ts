import { z } from 'zod';
import { API_ERRORS } from './errors.js';
import { authRole, type Route } from './route.js';

/**
 * The OpenAPI 3.1 document, built from the same route list the server
 * registers (./route.ts): one source of truth, so a route cannot exist
 * without its description. JSON Schema comes from zod's own converter.
 */
type Json = Record<string, unknown>;

export function openApiDocument(routes: readonly Route[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(r);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Medic API',
      version: info.version,
      description: 'Auto-remediation engine. Authenticate with `Authorization: Bearer <token>`; roles viewer < operator < admin < superadmin. '
        + 'Errors are `{error: {code, message, details}}`.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A Medic token (`medic_...`).' },
        accessToken: { type: 'apiKey', in: 'query', name: 'access_token', description: 'Only /api/v1/events, for EventSource.' },
      },
      schemas: { Error: schemaOf(errorBody, 'output') },
    },
  };
}

export const errorBody = z.strictObject({
  error: z.strictObject({ code: z.enum(Object.keys(API_ERRORS) as [keyof typeof API_ERRORS]), message: z.string(), details: z.unknown() }),
});

function operation(r: Route): Json {
  const role = authRole(r.auth);
  const who = r.auth === 'public' ? 'Public.' : typeof r.auth === 'object' && 'custom' in r.auth ? r.auth.description : `Role: ${role} or above.`;
  const op: Json = {
    operationId: `${r.method.toLowerCase()}${r.url.replace(/^\/api\/v1/, '').replace(/[/:{}-]+(\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}` || 'root',
    summary: r.summary,
    description: [r.description, who].filter(Boolean).join('\n\n'),
    tags: [r.tag],
    parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
    responses: responses(r),
  };
  if (role) op['x-medic-role'] = role;
  if (r.auth === 'public') op['security'] = [];
  else if (typeof r.auth === 'object' && 'queryToken' in r.auth) op['security'] = [{ bearer: [] }, { accessToken: [] }];
  else op['security'] = [{ bearer: [] }];
  if (r.body) {
    const content: Json = {};
    for (const type of r.bodyTypes ?? ['application/json']) {
      content[type] = { schema: type === 'application/json' ? schemaOf(r.body, 'input') : { type: 'string' } };
    }
    op['requestBody'] = { required: true, content };
  }
  return op;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const js = schemaOf(schema, 'input');
  const props = (js['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((js['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name, in: where, required: where === 'path' || (required.has(name) && !('default' in s)),
    ...(typeof s['description'] === 'string' ? { description: s['description'] } : {}),
    schema: s,
  }));
}

function responses(r: Route): Json {
  const ok = String(r.status ?? 200);
  const out: Json = {};
  out[ok] = 'contentType' in r.response
    ? { description: r.response.description, content: { [r.response.contentType]: { schema: { type: 'string' } } } }
    : { description: r.summary, content: { 'application/json': { schema: schemaOf(r.response, 'output') } } };
  const errors: [number, string][] = [];
  if (r.params || r.query || r.body) errors.push([400, 'Bad input: the message names the field']);
  if (r.auth !== 'public') errors.push([401, 'No valid token'], [403, 'Role too low']);
  if (r.params) errors.push([404, 'No such record']);
  if (r.method !== 'GET') errors.push([409, 'Conflicts with the current state']);
  if (r.body) errors.push([413, 'Body larger than the limit'], [415, 'Unsupported content type']);
  for (const [status, description] of errors) {
    out[String(status)] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return out;
}

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete js['$schema'];
  return js;
}
