import { z } from 'zod';
import { ALERT_OUTCOMES } from '../../core/records.js';
import { SEVERITIES } from '../../core/severity.js';
import { alertmanagerPayload, fromAlertmanager } from '../../intake/alertmanager.js';
import { sameSecret } from '../../intake/auth.js';
import type { IncomingAlert } from '../../intake/types.js';
import { fromWebhook, webhookPayload } from '../../intake/webhook.js';
import { bearerOf, requireRole, type Principal } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, zodToApiError, type RouteAuth, type Route } from '../route.js';
import { csvOf, items, page, pageQuery } from '../schemas.js';

/**
 * Pushed alerts: Alertmanager's webhook (payload version 4) and the generic
 * JSON webhook. Each authenticates with its own shared secret
 * (intake.<source>.secret, compared in constant time) or an API token of
 * role operator or above; the answer comes once the alerts are stored. The
 * logic is in src/intake.
 */
const listQuery = z.strictObject({
  ...pageQuery,
  outcome: csvOf(ALERT_OUTCOMES).optional(),
  source: z.enum(['alertmanager', 'webhook']).optional(),
  rule: z.string().max(200).optional(),
  target: z.string().max(200).optional(),
});
const { outcome: _outcome, ...unroutedShape } = listQuery.shape;
const unroutedQuery = z.strictObject(unroutedShape);

const labelSet = z.record(z.string(), z.string());
const alertRecord = z.object({
  id: z.number(), receivedAt: z.number(), source: z.string(), sender: z.string(), fingerprint: z.string(),
  status: z.enum(['firing', 'resolved']), startsAt: z.number(), endsAt: z.number().nullable(), labels: labelSet, annotations: labelSet,
  rule: z.string().nullable(), target: z.string().nullable(), severity: z.enum(SEVERITIES).nullable(), outcome: z.enum(ALERT_OUTCOMES), reason: z.string().nullable(),
});
const accepted = z.object({
  status: z.literal('ok'), received: z.number().int(), firing: z.number().int(), resolved: z.number().int(),
  deduplicated: z.number().int(), unrouted: z.number().int(),
});

/** The source's shared secret as a bearer credential, or an API token of role operator or above. */
function intakeAuth(secret: string | null, source: string): RouteAuth {
  return {
    role: 'operator',
    description: `Authorization: Bearer <intake.${source}.secret>, or an API token of role operator or above.`,
    custom: async (req, bearer) => {
      const presented = bearerOf(req.headers.authorization);
      if (presented !== null && secret !== null && sameSecret(presented, secret)) {
        return { tokenId: null, name: `${source}-secret`, role: 'operator', expiresAt: null } satisfies Principal;
      }
      const principal = await bearer();
      requireRole(principal, 'operator');
      return principal;
    },
  };
}

export function intakeRoutes({ engine }: ApiDeps): Route[] {
  const cfg = engine.intakeConfig;
  const receive = async (source: 'alertmanager' | 'webhook', sender: string, alerts: IncomingAlert[]) => {
    const { result, persisted } = engine.receiveAlerts(source, sender, alerts);
    try {
      await persisted;
    } catch {
      // Alertmanager retries a 5xx: the alerts were judged already, the retry is stored as duplicates.
      throw new ApiError('unavailable', 'alerts could not be stored; retry');
    }
    return { status: 'ok' as const, ...result };
  };
  const convert = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof z.ZodError) throw zodToApiError(err, 'body');
      throw err;
    }
  };
  return [
    defineRoute({
      method: 'POST', url: '/api/v1/intake/alertmanager', tag: 'intake', auth: intakeAuth(cfg.alertmanager.secret, 'alertmanager'),
      summary: 'Alertmanager webhook receiver (payload version 4)', body: alertmanagerPayload, response: accepted,
      handler: async ({ body, principal }) => {
        const alerts = convert(() => fromAlertmanager(body));
        return receive('alertmanager', body.receiver ? `${principal!.name} receiver:${body.receiver}` : principal!.name, alerts);
      },
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/intake/webhook', tag: 'intake', auth: intakeAuth(cfg.webhook.secret, 'webhook'),
      summary: 'Generic JSON alert webhook', body: webhookPayload, response: accepted,
      handler: async ({ body, principal }) => receive('webhook', principal!.name, convert(() => fromWebhook(body, engine.now()))),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/alerts', tag: 'intake', auth: 'viewer',
      summary: 'Received alerts, newest first, with what became of each', query: listQuery, response: page(alertRecord),
      handler: async ({ query }) => {
        const p = await engine.listAlerts(query);
        return { items: p.items, total: p.total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/unrouted', tag: 'intake', auth: 'viewer',
      summary: 'Alerts no route matched (kept for a person to route or ignore)', query: unroutedQuery, response: page(alertRecord),
      handler: async ({ query }) => {
        const p = await engine.listAlerts({ ...query, outcome: ['unrouted'] });
        return { items: p.items, total: p.total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/firing', tag: 'intake', auth: 'viewer',
      summary: 'Rule and target pairs with alerts firing now, and the intake\'s counters',
      response: items(z.object({ rule: z.string(), target: z.string(), alerts: z.number().int(), severity: z.enum(SEVERITIES) }))
        .extend({ counts: z.object({ received: z.number().int(), deduplicated: z.number().int(), unrouted: z.number().int() }) }),
      handler: async () => ({ items: engine.firingAlerts(), counts: engine.intakeCounts() }),
    }),
  ];
}
