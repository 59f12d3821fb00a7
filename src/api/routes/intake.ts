import { z } from 'zod';
import { ALERT_OUTCOMES } from '../../core/records.js';
import { alertmanagerPayload, fromAlertmanager } from '../../intake/alertmanager.js';
import { authenticateIntake } from '../../intake/auth.js';
import type { IncomingAlert } from '../../intake/types.js';
import { fromWebhook, webhookPayload } from '../../intake/webhook.js';
import type { Principal } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, type CustomAuth, type Route, type RouteContext } from '../route.js';
import { csvOf, items, loose, pageQuery, page } from '../schemas.js';

/**
 * Pushed alerts: Alertmanager's webhook (payload version 4) and the generic
 * JSON webhook. Each authenticates with its own shared secret
 * (intake.<source>.secret) or an API token (operator or above); the answer
 * comes once the alerts are stored. The logic is in src/intake.
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

const alert = loose({ id: z.number(), receivedAt: z.number(), source: z.string(), sender: z.string(), fingerprint: z.string(), status: z.enum(['firing', 'resolved']), outcome: z.enum(ALERT_OUTCOMES) });
const accepted = loose({ status: z.literal('ok') });

/** The source's shared secret, or a token checked by the API (operator or above; intake/auth.ts decides). */
function intakeAuth(secret: () => string | null): { custom: CustomAuth; description: string; role: 'operator' } {
  return {
    role: 'operator',
    description: 'The source\'s shared secret (intake.<source>.secret) or an API token of an operator or above, as Authorization: Bearer.',
    custom: async (req, bearer): Promise<Principal> => {
      const verify = async () => bearer().then((p) => ({ name: p.name, role: p.role }), () => null);
      const auth = await authenticateIntake(req.headers.authorization, secret(), verify);
      if (!auth.ok) throw new ApiError(auth.status === 401 ? 'unauthorized' : 'forbidden', auth.message);
      return { tokenId: null, name: auth.sender, role: 'operator', expiresAt: null };
    },
  };
}

export function intakeRoutes({ engine }: ApiDeps): Route[] {
  const intake = () => engine.config.intake;
  const receive = async (ctx: RouteContext<unknown, unknown, unknown>, source: 'alertmanager' | 'webhook', parsed: { alerts: IncomingAlert[]; via: string }) => {
    const sender = ctx.actor;
    const { result, persisted } = engine.intake.accept(source, parsed.via ? `${sender} ${parsed.via}` : sender, parsed.alerts);
    try {
      await persisted;
    } catch {
      // Alertmanager retries a 5xx: the alerts were judged already, the retry is stored as duplicates.
      throw new ApiError('unavailable', 'alerts could not be stored; retry');
    }
    return { status: 'ok', ...result };
  };
  return [
    defineRoute({
      method: 'POST', url: '/api/v1/intake/alertmanager', tag: 'intake', auth: intakeAuth(() => intake().alertmanager.secret),
      summary: 'Alertmanager webhook receiver (payload version 4)',
      body: alertmanagerPayload, response: accepted,
      handler: async (ctx) => receive(ctx as RouteContext<unknown, unknown, unknown>, 'alertmanager', {
        alerts: fromAlertmanager(ctx.body), via: ctx.body.receiver ? `receiver:${ctx.body.receiver}` : '',
      }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/intake/webhook', tag: 'intake', auth: intakeAuth(() => intake().webhook.secret),
      summary: 'Generic JSON webhook: one alert or {alerts: [...]}',
      body: webhookPayload, response: accepted,
      handler: async (ctx) => receive(ctx as RouteContext<unknown, unknown, unknown>, 'webhook', { alerts: fromWebhook(ctx.body, engine.now()), via: '' }),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/alerts', tag: 'intake', auth: 'viewer',
      summary: 'Received alerts, newest first, with what became of each', query: listQuery, response: page(alert),
      handler: async ({ query: q }) => {
        const p = await engine.store.alerts.list(q);
        return { items: p.items, total: p.total, limit: q.limit, offset: q.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/unrouted', tag: 'intake', auth: 'viewer',
      summary: 'Alerts no route took: kept for a person to route or ignore', query: unroutedQuery, response: page(alert),
      handler: async ({ query: q }) => {
        const p = await engine.store.alerts.list({ ...q, outcome: ['unrouted'] });
        return { items: p.items, total: p.total, limit: q.limit, offset: q.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/intake/firing', tag: 'intake', auth: 'viewer',
      summary: 'Alerts firing now by rule and target, and intake counters',
      response: items(loose({ rule: z.string(), target: z.string(), alerts: z.number() })).extend({ counts: z.record(z.string(), z.number()) }),
      handler: async () => ({ items: engine.intake.firing(), counts: engine.intake.counts() }),
    }),
  ];
}
