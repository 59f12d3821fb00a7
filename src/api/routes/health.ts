import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { DOCS_HTML } from '../docs.js';
import { defineRoute, type Route } from '../route.js';
import { role } from '../schemas.js';

/** Liveness, readiness, who am I, and the API's own description. */
export function metaRoutes({ engine }: ApiDeps, openapi: () => object): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/healthz', tag: 'meta', auth: 'public',
      summary: 'Liveness', response: z.object({ status: z.literal('ok') }),
      handler: async () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET', url: '/readyz', tag: 'meta', auth: 'public',
      summary: 'Readiness, with the mode and the kill switch',
      response: z.object({ status: z.literal('ready'), mode: z.enum(['active', 'shadow']), autoRemediation: z.boolean() }),
      handler: async () => {
        const s = engine.runtimeSettings();
        return { status: 'ready', mode: s.mode, autoRemediation: s.autoRemediation };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/openapi.json', tag: 'meta', auth: 'public',
      summary: 'This document (OpenAPI 3.1)', response: z.record(z.string(), z.unknown()),
      handler: async () => openapi(),
    }),
    defineRoute({
      method: 'GET', url: '/api/docs', tag: 'meta', auth: 'public',
      summary: 'Human-readable API documentation', response: { contentType: 'text/html', description: 'an HTML page' },
      handler: async ({ reply }) => reply.type('text/html; charset=utf-8').send(DOCS_HTML),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/whoami', tag: 'meta', auth: 'viewer',
      summary: 'The calling token\'s name, role and expiry',
      response: z.object({ name: z.string(), role, expiresAt: z.number().nullable() }),
      handler: async ({ principal }) => ({ name: principal!.name, role: principal!.role, expiresAt: principal!.expiresAt }),
    }),
  ];
}
