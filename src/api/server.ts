import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { redactString } from '../core/redact.js';
import { systemClock } from '../drivers/clock.js';
import type { Engine } from '../engine/engine.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import type { Notifier } from '../notify/notifier.js';
import { Authenticator } from './auth.js';
import type { ApiDeps } from './deps.js';
import type { EngineOps } from './engine-ops.js';
import { ApiError, toApiError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, zodToApiError, type Route } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { breakerRoutes } from './routes/breakers.js';
import { eventRoutes } from './routes/events.js';
import { executionRoutes } from './routes/executions.js';
import { metaRoutes } from './routes/health.js';
import { incidentRoutes } from './routes/incidents.js';
import { problemRoutes } from './routes/problems.js';
import { ruleRoutes } from './routes/rules.js';
import { runbookRoutes, YAML_TYPES } from './routes/runbooks.js';
import { settingsRoutes } from './routes/settings.js';
import { silenceRoutes } from './routes/silences.js';
import { statsRoutes } from './routes/stats.js';
import { tokenRoutes } from './routes/tokens.js';
import { intakeRoutes } from './routes/intake.js';
import { metricsRoutes } from './routes/metrics.js';
import { notificationRoutes } from './routes/notifications.js';
import { EventHub, type EventHubOptions } from './sse.js';
import { Tokens } from './tokens.js';
import { defaultWebRoot, serveWeb } from './web.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const VERSION = '0.1.0';

export interface ApiOptions {
  readonly engine: Engine;
  /** Defaults to the engine itself (api-contract.md's operations). */
  readonly ops?: EngineOps;
  readonly clock?: Clock;
  /** Access log (debug) and unexpected errors (error). Default: the engine's nothing. */
  readonly log?: Logger;
  /** Bytes; config `api.body_limit`. */
  readonly bodyLimit?: number;
  readonly events?: EventHubOptions;
  /** More routes (intake, say), registered and documented like the built-in ones. */
  readonly routes?: (deps: ApiDeps) => readonly Route[];
  /** GET /metrics, when given. */
  readonly metrics?: EngineMetrics;
  /** Delivery stats and recent deliveries under /api/v1/notifications, when given. */
  readonly notifier?: Notifier;
  /** The built dashboard (dist/web by default), served at `/`. */
  readonly webRoot?: string;
}

export interface MedicParts {
  /** The route definitions: what the OpenAPI document describes. */
  readonly routes: readonly Route[];
  /** Every method + url Fastify registered (HEAD aside), however it was added: what the document must cover. */
  readonly registered: readonly { readonly method: string; readonly url: string }[];
  readonly tokens: Tokens;
  readonly hub: EventHub;
}

export type MedicServer = FastifyInstance & { readonly medic: MedicParts };

/** The HTTP face of the engine. Built here, listened on by the caller. */
export function buildServer(opts: ApiOptions): MedicServer {
  const clock = opts.clock ?? systemClock;
  const { engine } = opts;
  // Fastify's own logger stays off: request URLs may carry ?access_token=, and they must never reach a log.
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, return503OnClosing: true,
    // Errors the router raises before any route runs (overlong or badly encoded paths) get the same body as the rest.
    frameworkErrors: (err, _req, reply) => {
      const e = toApiError(err);
      void (reply as FastifyReply).status(e.status).send(e.toBody());
    },
  });
  const tokens = new Tokens(engine.store, clock, (kind, subject, result, details, actor) => engine.audit(kind, subject, result, details, actor));
  const hub = new EventHub(engine.events, clock, opts.events);
  const deps: ApiDeps = { engine, ops: opts.ops ?? engine, tokens, hub, clock };

  const registered: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') registered.push({ method, url: r.url });
  });
  app.addContentTypeParser([...YAML_TYPES], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const log = opts.log;
  app.setErrorHandler((err, req, reply) => {
    // A ZodError past the route's own schemas comes from checking the input further (dates in an alert, say): still the caller's input.
    const e = err instanceof ZodError ? zodToApiError(err, 'body') : toApiError(err);
    if (e.status >= 500) log?.error({ method: req.method, path: pathOf(req.url), err: errorMessage(err) }, 'API request failed');
    return reply.status(e.status).send(e.toBody());
  });
  // The dashboard answers only what no route did: it never shadows the API, /metrics or the health checks.
  const webRoot = opts.webRoot ?? defaultWebRoot();
  app.setNotFoundHandler(async (req, reply) => {
    if (await serveWeb(webRoot, req, reply)) return reply;
    const path = pathOf(req.url);
    return reply.status(404).send(new ApiError('not_found', `no route ${req.method} ${path}`).toBody());
  });
  app.addHook('preClose', async () => hub.close());
  // The path only, never the query: /api/v1/events takes ?access_token=.
  app.addHook('onResponse', async (req, reply) => {
    log?.debug({ method: req.method, path: pathOf(req.url), status: reply.statusCode, actor: req.medicPrincipal?.name ?? null, ms: Math.round(reply.elapsedTime) }, 'API request');
  });

  let doc: object | undefined;
  const routes: Route[] = [];
  routes.push(
    ...metaRoutes(deps, () => (doc ??= openApiDocument(routes, { version: VERSION }))),
    ...problemRoutes(deps), ...incidentRoutes(deps), ...executionRoutes(deps), ...statsRoutes(deps), ...settingsRoutes(deps),
    ...ruleRoutes(deps), ...runbookRoutes(deps), ...breakerRoutes(deps), ...silenceRoutes(deps), ...auditRoutes(deps),
    ...tokenRoutes(deps), ...eventRoutes(deps), ...intakeRoutes(deps),
    ...(opts.notifier ? notificationRoutes(opts.notifier) : []), ...(opts.metrics ? metricsRoutes(opts.metrics) : []),
    ...(opts.routes?.(deps) ?? []),
  );
  registerRoutes(app, routes, new Authenticator(engine.store, clock));
  return Object.assign(app, { medic: { routes, registered, tokens, hub } });
}

/** What of a URL may be logged or echoed: the path, with anything that looks like a token masked. */
function pathOf(url: string): string {
  return redactString(url.split('?')[0]!.slice(0, 200));
}
