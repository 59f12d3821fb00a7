import { z } from 'zod';
import { usable } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { formatSse, type HubEvent } from '../sse.js';

const eventsQuery = z.strictObject({
  access_token: z.string().max(512).optional().meta({ description: 'the token, for EventSource (which cannot send headers)' }),
  lastEventId: z.coerce.number().int().min(0).optional().meta({ description: 'as the Last-Event-ID header' }),
});
const lastEventIdHeader = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export function eventRoutes({ hub, engine, clock }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/events', tag: 'events', auth: { role: 'viewer', queryToken: true },
      summary: 'Live changes as Server-Sent Events; resumes after Last-Event-ID',
      description: 'Events: incident, execution (each transition, in order), step, approval, setting, breaker; each `data` is the record '
        + 'with `change` (opened, updated, resolved, created, transition, started, finished, requested, approved, rejected, withdrawn). '
        + 'A `reset` event means events after your Last-Event-ID are gone: reload. Comments (`: ping`) are heartbeats. '
        + 'The stream ends within seconds once its token is revoked or expires.',
      query: eventsQuery,
      response: { contentType: 'text/event-stream', description: 'an endless event stream' },
      handler: async ({ query, req, reply, principal }) => {
        const header = req.headers['last-event-id'];
        const parsed = typeof header === 'string' ? lastEventIdHeader.safeParse(header) : undefined;
        const lastId = parsed?.success ? parsed.data : query.lastEventId;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        res.write('retry: 2000\n\n');
        let sent = lastId ?? hub.lastId;
        const send = (e: HubEvent) => {
          if (e.id <= sent) return;
          sent = e.id;
          res.write(formatSse(e));
        };
        // Subscribe before replaying: an event emitted meanwhile is neither lost nor sent twice (send() skips ids already sent).
        const queued: HubEvent[] = [];
        let replaying = true;
        const unsubscribe = hub.subscribe((e) => (replaying ? queued.push(e) : send(e)));
        if (lastId !== undefined) {
          const missed = hub.since(lastId);
          if (missed === 'reset') {
            res.write(formatSse({ id: hub.lastId, event: 'reset', data: { reason: 'events after your Last-Event-ID are no longer kept: reload' } }));
            sent = hub.lastId;
          } else missed.forEach(send);
        }
        replaying = false;
        queued.forEach(send);
        // The token was checked once, at connect; a stream lives for hours, so it is checked again while it runs.
        let closed = false;
        const stillValid = async (): Promise<boolean> => {
          if (!principal?.tokenId) return false;
          const token = await engine.tokens.get(principal.tokenId).catch(() => undefined);
          return token !== undefined && usable(token, clock.now());
        };
        const recheck = async (then?: () => void) => {
          if (closed) return;
          if (!(await stillValid())) {
            if (closed) return;
            res.write(': token revoked or expired\n\n');
            res.end();
            cleanup();
            return;
          }
          if (!closed) then?.();
        };
        const heartbeat = setInterval(() => void recheck(() => res.write(': ping\n\n')), hub.heartbeatMs);
        const rechecking = setInterval(() => void recheck(), hub.recheckMs);
        heartbeat.unref();
        rechecking.unref();
        const untrack = hub.track(res);
        const cleanup = () => {
          closed = true;
          clearInterval(heartbeat);
          clearInterval(rechecking);
          unsubscribe();
          untrack();
        };
        req.raw.once('close', cleanup);
        res.once('close', cleanup);
      },
    }),
  ];
}
