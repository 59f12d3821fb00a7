import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerOf, requireRole, type Authenticator, type Principal, type Role } from './auth.js';
import { ApiError } from './errors.js';

/**
 * One source of truth per route: method, path, docs, who may call it, and the
 * zod schemas of what comes in and goes out. registerRoutes() turns a list of
 * these into Fastify routes that authenticate, then validate, then call the
 * handler; ./openapi.ts turns the same list into the OpenAPI document.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Custom authentication (intake with a shared secret, say): the principal, or null for 401. */
export type CustomAuth = (req: FastifyRequest, bearer: () => Promise<Principal>) => Promise<Principal | null>;

export type RouteAuth =
  | 'public'
  | Role
  | { readonly role: Role; readonly queryToken: true }
  /** `role`: what a token needs here (documented, and used by the role matrix test); the hook decides. */
  | { readonly custom: CustomAuth; readonly description: string; readonly role?: Role };

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** null on public routes. */
  readonly principal: Principal | null;
  /** The audit log's actor: the token's name. */
  readonly actor: string;
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<PS, QS, BS> {
  readonly method: HttpMethod;
  /** Fastify syntax: /api/v1/incidents/:id */
  readonly url: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: RouteAuth;
  readonly params?: PS;
  readonly query?: QS;
  readonly body?: BS;
  /** Media types the body may come as; default application/json. */
  readonly bodyTypes?: readonly string[];
  /** Success status; default 200. */
  readonly status?: number;
  /** The success body: a zod schema, or another media type (SSE, HTML). */
  readonly response: z.ZodType | { readonly contentType: string; readonly description: string };
  handler(ctx: RouteContext<Out<PS>, Out<QS>, Out<BS>>): Promise<unknown>;
}

export type Route = RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>;

export function defineRoute<PS extends z.ZodType | undefined = undefined, QS extends z.ZodType | undefined = undefined, BS extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<PS, QS, BS>,
): Route {
  return spec as unknown as Route;
}

export function authRole(auth: RouteAuth): Role | null {
  if (auth === 'public') return null;
  if (typeof auth === 'string') return auth;
  return 'role' in auth && auth.role ? auth.role : null;
}

declare module 'fastify' {
  interface FastifyRequest {
    medicPrincipal?: Principal | null;
  }
}

export const JSON_TYPE = 'application/json';

export function registerRoutes(app: FastifyInstance, routes: readonly Route[], auth: Authenticator): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      // Authentication before the body is even parsed: a stranger's 10 MB of JSON costs nothing.
      onRequest: async (req) => {
        req.medicPrincipal = await authenticate(route, req, auth);
      },
      handler: async (req, reply) => {
        const principal = req.medicPrincipal ?? null;
        if (route.body && req.body !== undefined) checkBodyType(route, req);
        const params = parse(route.params, req.params, 'params');
        const query = parse(route.query, req.query, 'query');
        const body = parse(route.body, route.body && req.body === undefined && isJsonOnly(route) ? {} : req.body, 'body');
        const result = await route.handler({
          params, query, body, principal, actor: principal?.name ?? 'anonymous', req, reply,
        } as RouteContext<unknown, unknown, unknown>);
        if (reply.sent) return reply;
        return reply.status(route.status ?? 200).send(result);
      },
    });
  }
}

async function authenticate(route: Route, req: FastifyRequest, auth: Authenticator): Promise<Principal | null> {
  const a = route.auth;
  if (a === 'public') return null;
  const bearer = () => auth.verify(bearerOf(req.headers.authorization));
  if (typeof a === 'object' && 'custom' in a) {
    const p = await a.custom(req, bearer);
    if (!p) throw new ApiError('unauthorized', 'not authenticated');
    return p;
  }
  let secret = bearerOf(req.headers.authorization);
  if (secret === null && typeof a === 'object' && a.queryToken) {
    // EventSource cannot send headers: this one route also takes ?access_token=.
    const v = (req.query as Record<string, unknown> | undefined)?.['access_token'];
    secret = typeof v === 'string' && v.length <= 512 ? v : null;
  }
  const principal = await auth.verify(secret);
  requireRole(principal, authRole(a)!);
  return principal;
}

function isJsonOnly(route: Route): boolean {
  return (route.bodyTypes ?? [JSON_TYPE]).every((t) => t === JSON_TYPE);
}

function checkBodyType(route: Route, req: FastifyRequest): void {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const allowed = route.bodyTypes ?? [JSON_TYPE];
  if (!allowed.includes(type)) {
    throw new ApiError('unsupported_media_type', `content-type ${type || '(none)'} is not accepted here; send ${allowed.join(' or ')}`, { allowed });
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw zodToApiError(r.error, where);
}

export function zodToApiError(err: z.ZodError, where: string): ApiError {
  const details = err.issues.slice(0, 20).map((i) => {
    const path = i.path.map(String).join('.');
    const keys = i.code === 'unrecognized_keys' ? i.keys : [];
    const field = keys.length > 0 ? [path, keys[0]].filter(Boolean).join('.') : path;
    const message = keys.length > 0 ? `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k.slice(0, 64)}"`).join(', ')}` : i.message;
    return { in: where, field, message };
  });
  const first = details[0]!;
  return new ApiError('bad_request', `${where}${first.field ? `.${first.field}` : ''}: ${first.message}`, details);
}
