import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { id, items, role, tokenView } from '../schemas.js';

/**
 * Names the engine itself acts under: a token named so would pass for it in the
 * audit log, and `engine` is exempt from four eyes. `bootstrap` stays allowed.
 */
const RESERVED_NAMES = new Set(['engine', 'anonymous', 'cli']);

function isReservedName(name: string): boolean {
  const n = name.toLowerCase();
  return RESERVED_NAMES.has(n) || n.startsWith('schedule:');
}

const createBody = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[\w.@-]+$/, 'letters, digits and _ . @ - only')
    .refine((n) => !isReservedName(n), 'reserved for the engine (engine, anonymous, cli, schedule:*): choose another name'),
  role,
  expiresAt: z.number().int().min(0).max(8.64e15).nullable().optional().meta({ description: 'epoch ms; none = never' }),
});

export function tokenRoutes({ tokens }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'POST', url: '/api/v1/tokens', tag: 'tokens', auth: 'superadmin', status: 201,
      summary: 'Create a token; the answer shows its secret, once',
      body: createBody, response: tokenView.extend({ token: z.string() }),
      handler: async ({ body, actor }) => tokens.create({ name: body.name, role: body.role, expiresAt: body.expiresAt ?? null }, actor),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/tokens', tag: 'tokens', auth: 'superadmin',
      summary: 'List tokens (never their secrets)', response: items(tokenView),
      handler: async () => ({ items: await tokens.list() }),
    }),
    defineRoute({
      method: 'DELETE', url: '/api/v1/tokens/:id', tag: 'tokens', auth: 'superadmin',
      summary: 'Revoke a token', params: z.strictObject({ id }), response: tokenView,
      handler: async ({ params, actor }) => tokens.revoke(params.id, actor),
    }),
  ];
}
