import { z } from 'zod';
import { parseDuration } from '../../core/duration.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, type Route } from '../route.js';
import { id, items, loose } from '../schemas.js';

const matcher = z.strictObject({ label: z.string().min(1).max(128), op: z.enum(['=', '!=', '=~', '!~']), value: z.string().max(1024) });
const epoch = z.number().int().min(0).max(8.64e15);
const createBody = z.strictObject({
  matchers: z.array(matcher).min(1).max(32),
  startsAt: epoch.optional(),
  endsAt: epoch.optional(),
  duration: z.string().max(32).optional().meta({ description: 'instead of endsAt: 30m, 2h, 1d' }),
  comment: z.string().min(1).max(2000),
});
const silence = loose({ id: z.string(), matchers: z.array(matcher), startsAt: z.number(), endsAt: z.number(), createdBy: z.string(), comment: z.string(), state: z.enum(['active', 'pending', 'expired']) });

export function silenceRoutes({ clock, engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/silences', tag: 'silences', auth: 'viewer',
      summary: 'Silences: active, pending and expired', response: items(silence),
      handler: async () => ({ items: await engine.listSilences() }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/silences', tag: 'silences', auth: 'operator', status: 201,
      summary: 'Silence matching incidents: recorded, not acted on', body: createBody, response: silence,
      handler: async ({ body, actor }) => {
        const startsAt = body.startsAt ?? clock.now();
        const endsAt = body.endsAt ?? (body.duration ? startsAt + durationMs(body.duration) : undefined);
        if (endsAt === undefined) throw new ApiError('bad_request', 'body: endsAt or duration is required', [{ in: 'body', field: 'endsAt', message: 'required (or duration)' }]);
        if (body.endsAt !== undefined && body.duration !== undefined) throw new ApiError('bad_request', 'body: endsAt and duration: give one, not both');
        if (endsAt <= startsAt) throw new ApiError('bad_request', 'body.endsAt: must be after startsAt', [{ in: 'body', field: 'endsAt', message: 'must be after startsAt' }]);
        return engine.createSilence({ matchers: body.matchers, ...(body.startsAt !== undefined ? { startsAt } : {}), endsAt, comment: body.comment }, actor);
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/api/v1/silences/:id', tag: 'silences', auth: 'operator',
      summary: 'Expire a silence now', params: z.strictObject({ id }), response: silence,
      handler: async ({ params, actor }) => engine.expireSilence(params.id, actor),
    }),
  ];
}

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new ApiError('bad_request', `body.duration: "${text}" is not a positive duration (30m, 2h, 1d)`, [{ in: 'body', field: 'duration', message: 'not a positive duration' }]);
  }
  return ms;
}
