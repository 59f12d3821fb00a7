import type { Notification } from '../core/notification.js';
import type { Severity } from '../core/severity.js';
import { dashboardLink, postJson } from './http.js';
import type { ChannelPlugin, ChannelSend } from './types.js';

/**
 * PagerDuty Events API v2. One alert per incident (dedup_key
 * `medic-<incident id>`): detections, approvals waiting, escalations and
 * failures trigger it, Medic starting a fix acknowledges it, a verified fix
 * or a resolved incident resolves it.
 */
export const pagerDutyChannel: ChannelPlugin<'pagerduty'> = {
  type: 'pagerduty',
  secrets: (cfg) => [cfg.routingKey],
  create: (cfg) => createPagerDutyChannel(cfg),
};

export function createPagerDutyChannel(cfg: { readonly name: string; readonly url: string; readonly routingKey: string; readonly dashboardUrl: string | null }): ChannelSend {
  return {
    name: cfg.name,
    async send(n, at, signal) {
      // 202 Accepted is the documented answer; 200 from proxies and test receivers is fine too.
      await postJson(`pagerduty ${cfg.name}`, cfg.url, JSON.stringify(pagerDutyEvent(n, at, cfg.routingKey, cfg.dashboardUrl)), {}, signal);
    },
  };
}

const PD_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };

export function eventAction(event: string): 'trigger' | 'acknowledge' | 'resolve' {
  if (event === 'fixed' || event === 'resolved') return 'resolve';
  if (event === 'remediating') return 'acknowledge';
  return 'trigger';
}

export function dedupKey(n: Notification): string {
  if (n.incidentId) return `medic-${n.incidentId}`;
  return `medic-${n.event}-${n.target ?? n.title}`;
}

export function pagerDutyEvent(n: Notification, at: number, routingKey: string, dashboardUrl: string | null): Record<string, unknown> {
  const action = eventAction(n.event);
  const event: Record<string, unknown> = { routing_key: routingKey, event_action: action, dedup_key: dedupKey(n) };
  if (action !== 'trigger') return event;
  const link = dashboardLink(dashboardUrl, n.incidentId);
  return {
    ...event,
    payload: {
      summary: `${n.severity} ${n.title}`.slice(0, 1024),
      source: n.target ?? 'medic',
      severity: PD_SEVERITY[n.severity],
      timestamp: new Date(at).toISOString(),
      component: n.target ?? undefined,
      class: n.event,
      custom_details: { event: n.event, text: n.text, incident: n.incidentId ?? null, execution: n.executionId ?? null },
    },
    client: 'Medic',
    ...(link ? { client_url: link, links: [{ href: link, text: 'Open in Medic' }] } : {}),
  };
}
