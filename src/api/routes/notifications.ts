import { z } from 'zod';
import type { Notifier } from '../../notify/notifier.js';
import { defineRoute, type Route } from '../route.js';
import { items, loose } from '../schemas.js';

const query = z.strictObject({
  channel: z.string().max(200).optional(),
  failed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Channels with their delivery counts, and recent deliveries (newest first), failures with their reason. */
export function notificationRoutes(notifier: Notifier): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/notifications/channels', tag: 'notifications', auth: 'viewer',
      summary: 'Notification channels with their delivery counts',
      response: items(loose({ name: z.string(), type: z.string() })),
      handler: async () => {
        const stats = notifier.stats();
        return { items: notifier.channels().map((c) => ({ ...c, ...(stats[c.name] ?? { sent: 0, failed: 0, retried: 0, dropped: 0 }) })) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/notifications/deliveries', tag: 'notifications', auth: 'viewer',
      summary: 'Recent deliveries, newest first; failures with their reason', query,
      response: items(loose({ channel: z.string(), event: z.string(), ok: z.boolean() })),
      handler: async ({ query: q }) => ({ items: notifier.deliveries({ channel: q.channel, failedOnly: q.failed === 'true', limit: q.limit }) }),
    }),
  ];
}
