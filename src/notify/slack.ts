import type { Notification } from '../core/notification.js';
import { dashboardLink, postJson } from './http.js';
import type { ChannelPlugin, ChannelSend } from './types.js';

/**
 * Slack incoming webhook: a Block Kit message with a header (what happened),
 * severity, target and event as fields, the details (what was done and why),
 * a button to the incident in the dashboard, and ids in the context line.
 * `text` is the fallback Slack shows in notifications.
 */
/** The webhook URL is the credential. */
export const slackChannel: ChannelPlugin<'slack'> = {
  type: 'slack',
  secrets: (cfg) => [cfg.url],
  create: (cfg) => createSlackChannel(cfg),
};

export function createSlackChannel(cfg: { readonly name: string; readonly url: string; readonly dashboardUrl: string | null }): ChannelSend {
  return {
    name: cfg.name,
    async send(n, at, signal) {
      await postJson(`slack ${cfg.name}`, cfg.url, JSON.stringify(slackMessage(n, at, cfg.dashboardUrl)), {}, signal);
    },
  };
}

const SEVERITY_EMOJI: Record<string, string> = { P0: ':red_circle:', P1: ':large_orange_circle:', P2: ':large_yellow_circle:', P3: ':large_blue_circle:' };

export function slackMessage(n: Notification, at: number, dashboardUrl: string | null): Record<string, unknown> {
  const link = dashboardLink(dashboardUrl, n.incidentId);
  const ids = [n.incidentId && `incident ${n.incidentId}`, n.executionId && `execution ${n.executionId}`, new Date(at).toISOString()].filter(Boolean).join(' · ');
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cap(`${n.severity} ${n.title}`, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${SEVERITY_EMOJI[n.severity] ?? ''} ${n.severity}` },
        { type: 'mrkdwn', text: `*Target*\n${escape(n.target ?? '-')}` },
        { type: 'mrkdwn', text: `*Event*\n${escape(n.event)}` },
      ],
    },
  ];
  if (n.text.trim()) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cap(escape(n.text), 3000) } });
  if (link) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Medic' }, url: link }] });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escape(ids) }] });
  return { text: cap(`${n.severity} ${n.title}${n.target ? ` (${n.target})` : ''}`, 3000), blocks };
}

/** Slack's mrkdwn reads &, < and > as markup. */
function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cap(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
