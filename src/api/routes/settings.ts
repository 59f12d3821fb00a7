import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { loose, name, severity } from '../schemas.js';

const count = z.number().int().min(0).max(1_000_000);
const patchBody = z.strictObject({
  autoRemediation: z.boolean().optional().meta({ description: 'false throws the kill switch' }),
  mode: z.enum(['active', 'shadow']).optional(),
  rateLimits: z.strictObject({ globalPerMinute: count.optional(), globalPerHour: count.optional(), perTargetPerHour: count.optional() }).optional(),
  cooldownMs: z.number().int().min(0).max(7 * 86_400_000).optional(),
  ruleThresholds: z.record(name, z.array(z.strictObject({ severity, threshold: z.number() })).max(4)).optional(),
}).refine((p) => Object.keys(p).length > 0, { message: 'nothing to change: send at least one setting' });

const settingsView = loose({
  autoRemediation: z.boolean(), mode: z.enum(['active', 'shadow']),
  rateLimits: z.object({ globalPerMinute: z.number(), globalPerHour: z.number(), perTargetPerHour: z.number() }).loose(),
  cooldownMs: z.number(),
});

export function settingsRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/settings', tag: 'settings', auth: 'viewer',
      summary: 'Run-time settings: kill switch, mode, rate limits, cooldown, rule thresholds',
      response: settingsView,
      handler: async () => engine.settingsView(),
    }),
    defineRoute({
      method: 'PATCH', url: '/api/v1/settings', tag: 'settings', auth: 'superadmin',
      summary: 'Change settings at run time; each change is audited and applies without a restart',
      body: patchBody, response: settingsView,
      handler: async ({ body, actor }) => engine.changeSettings(body, actor),
    }),
  ];
}
