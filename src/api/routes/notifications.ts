import { z } from 'zod';
import type { Notifier } from '../../notify/notifier.js';
import { defineRoute, type Route } from '../route.js';
import { items } from '../schemas.js';

const query = z.strictObject({
  channel: z.string().max(200).optional(),
  failed: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const delivery = z.object({
  channel: z.string(), type: z.string(), event: z.string(), severity: z.string(), title: z.string(), incidentId: z.string().nullable(),
  queuedAt: z.number(), at: z.number(), ok: z.boolean(), attempts: z.number().int(), error: z.string().nullable(),
});

/** Channels with their delivery counts, and recent deliveries (newest first), failures with their reason (secrets masked). */
export function notificationRoutes(notifier: Notifier): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/notifications/channels', tag: 'notifications', auth: 'viewer',
      summary: 'Notification channels and their delivery counts',
      response: items(z.object({ name: z.string(), type: z.string(), sent: z.number(), failed: z.number(), retried: z.number(), dropped: z.number() })),
      handler: async () => {
        const stats = notifier.stats();
        return { items: notifier.channels().map((c) => ({ ...c, ...(stats[c.name] ?? { sent: 0, failed: 0, retried: 0, dropped: 0 }) })) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/notifications/deliveries', tag: 'notifications', auth: 'viewer',
      summary: 'Recent notification deliveries, newest first (?failed=true: failures only)', query, response: items(delivery),
      handler: async ({ query: q }) => ({ items: notifier.deliveries({ channel: q.channel, failedOnly: q.failed === 'true', limit: q.limit }) }),
    }),
  ];
}
