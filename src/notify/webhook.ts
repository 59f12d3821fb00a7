import { createHmac } from 'node:crypto';
import type { Notification } from '../core/notification.js';
import { postJson } from './http.js';
import type { ChannelPlugin, ChannelSend } from './types.js';

/**
 * Generic webhook: one JSON object per notification. With a secret, the
 * exact body bytes are signed, `X-Medic-Signature: sha256=<hex HMAC-SHA256>`,
 * so the receiver can check that Medic sent it (compare in constant time).
 */
export const SIGNATURE_HEADER = 'x-medic-signature';

/** The signing secret, every header value (tokens) and what a URL carries as a password or a query. */
export const webhookChannel: ChannelPlugin<'webhook'> = {
  type: 'webhook',
  secrets: (cfg) => [...(cfg.secret ? [cfg.secret] : []), ...Object.values(cfg.headers), ...urlSecrets(cfg.url)],
  create: (cfg) => createWebhookChannel(cfg),
};

/** A URL's password and query values. */
function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.password, ...u.searchParams.values()].filter((s) => s.length >= 4);
  } catch {
    return [];
  }
}

export function createWebhookChannel(cfg: {
  readonly name: string; readonly url: string; readonly secret: string | null; readonly headers: Readonly<Record<string, string>>;
}): ChannelSend {
  return {
    name: cfg.name,
    async send(n, at, signal) {
      const body = JSON.stringify(webhookBody(n, at));
      const headers: Record<string, string> = { ...cfg.headers };
      if (cfg.secret) headers[SIGNATURE_HEADER] = sign(cfg.secret, body);
      await postJson(`webhook ${cfg.name}`, cfg.url, body, headers, signal);
    },
  };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookBody(n: Notification, at: number): Record<string, unknown> {
  return {
    version: 1,
    event: n.event,
    severity: n.severity,
    title: n.title,
    text: n.text,
    target: n.target ?? null,
    incidentId: n.incidentId ?? null,
    executionId: n.executionId ?? null,
    at: new Date(at).toISOString(),
  };
}
