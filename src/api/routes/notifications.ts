import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Notifier } from '../../notify/notifier.js';

const query = z.strictObject({
  channel: z.string().max(200).optional(),
  failed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Channels with their delivery counts, and recent deliveries (newest first), failures with their reason. */
export function notificationRoutes(notifier: Notifier): FastifyPluginAsync {
  return async (app) => {
    app.get('/notifications/channels', async () => {
      const stats = notifier.stats();
      return { items: notifier.channels().map((c) => ({ ...c, ...(stats[c.name] ?? { sent: 0, failed: 0, retried: 0, dropped: 0 }) })) };
    });
    app.get('/notifications/deliveries', async (req) => {
      const q = query.parse(req.query);
      return { items: notifier.deliveries({ channel: q.channel, failedOnly: q.failed === 'true', limit: q.limit }) };
    });
  };
}
