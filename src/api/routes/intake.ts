import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ALERT_OUTCOMES } from '../../core/records.js';
import type { Engine } from '../../engine/engine.js';
import { alertmanagerPayload, fromAlertmanager } from '../../intake/alertmanager.js';
import { authenticateIntake, type VerifyToken } from '../../intake/auth.js';
import type { IncomingAlert } from '../../intake/types.js';
import { fromWebhook, webhookPayload } from '../../intake/webhook.js';
import { ApiError } from '../errors.js';
import { csvOf, pageQuery } from './query.js';

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

export function intakeRoutes(engine: Engine, verifyToken: VerifyToken): FastifyPluginAsync {
  const intake = engine.config.intake;
  const receive = async (req: FastifyRequest, source: 'alertmanager' | 'webhook', secret: string | null, parse: (body: unknown) => { alerts: IncomingAlert[]; via: string }) => {
    const auth = await authenticateIntake(req.headers.authorization, secret, verifyToken);
    if (!auth.ok) throw new ApiError(auth.status === 401 ? 'unauthorized' : 'forbidden', auth.message);
    const { alerts, via } = parse(req.body);
    const { result, persisted } = engine.intake.accept(source, via ? `${auth.sender} ${via}` : auth.sender, alerts);
    try {
      await persisted;
    } catch {
      // Alertmanager retries a 5xx: the alerts were judged already, the retry is stored as duplicates.
      throw new ApiError('unavailable', 'alerts could not be stored; retry');
    }
    return { status: 'ok', ...result };
  };

  return async (app) => {
    app.post('/intake/alertmanager', async (req) => receive(req, 'alertmanager', intake.alertmanager.secret, (body) => {
      const p = alertmanagerPayload.parse(body);
      return { alerts: fromAlertmanager(p), via: p.receiver ? `receiver:${p.receiver}` : '' };
    }));
    app.post('/intake/webhook', async (req) => receive(req, 'webhook', intake.webhook.secret, (body) => ({
      alerts: fromWebhook(webhookPayload.parse(body), engine.now()), via: '',
    })));
    app.get('/intake/alerts', async (req) => {
      const q = listQuery.parse(req.query);
      const page = await engine.store.alerts.list(q);
      return { items: page.items, total: page.total, limit: q.limit, offset: q.offset };
    });
    /** Alerts no route took: kept for a person to route or ignore. */
    app.get('/intake/unrouted', async (req) => {
      const q = listQuery.omit({ outcome: true }).parse(req.query);
      const page = await engine.store.alerts.list({ ...q, outcome: ['unrouted'] });
      return { items: page.items, total: page.total, limit: q.limit, offset: q.offset };
    });
    app.get('/intake/firing', async () => ({ items: engine.intake.firing(), counts: engine.intake.counts() }));
  };
}
