import { z } from 'zod';
import { SEVERITIES } from '../core/severity.js';
import type { ActionContext, ActionPlugin, Notification } from './types.js';

/**
 * notify: a runbook step that tells people something ("restarting demo:
 * p95 is 812 ms"). Delivery is the notifier's business and happens in the
 * background, so this step cannot fail or hold up a remediation.
 */

/** The event kind channels see for messages sent by runbook steps. */
export const RUNBOOK_NOTIFY_EVENT = 'notify';

export const notifyParams = z.strictObject({
  message: z.string().trim().min(1),
  /** Defaults to the incident's severity, or P3 without an incident. */
  severity: z.enum(SEVERITIES).optional(),
  /** Send to this channel only (by name), whatever its event filter. */
  channel: z.string().min(1).optional(),
});
export type NotifyParams = z.output<typeof notifyParams>;

/**
 * A Notification addressed to one channel. The notifier in src/notify reads
 * `channel`; any other NotifierPort simply ignores the extra field.
 */
export interface AddressedNotification extends Notification {
  readonly channel?: string;
}

function build(ctx: ActionContext<NotifyParams>): AddressedNotification {
  const p = ctx.params;
  const firstLine = p.message.split('\n')[0]!;
  return {
    event: RUNBOOK_NOTIFY_EVENT,
    severity: p.severity ?? ctx.incident?.severity ?? 'P3',
    title: firstLine.length > 200 ? `${firstLine.slice(0, 199)}…` : firstLine,
    text: p.message,
    target: ctx.targetName,
    ...(ctx.incident ? { incidentId: ctx.incident.id } : {}),
    executionId: ctx.executionId,
    ...(p.channel !== undefined ? { channel: p.channel } : {}),
  };
}

export const notifyAction: ActionPlugin<NotifyParams> = {
  type: 'notify',
  schema: notifyParams,
  idempotent: true,
  mutates: false,
  async plan(ctx) {
    const n = build(ctx);
    return {
      summary: `notify${n.channel ? ` ${n.channel}` : ''} (${n.severity}): ${n.title}`,
      details: { severity: n.severity, channel: n.channel ?? null, message: n.text },
    };
  },
  async execute(ctx) {
    const n = build(ctx);
    ctx.notifier.notify(n);
    return { summary: `notification queued${n.channel ? ` for ${n.channel}` : ''}: ${n.title}` };
  },
};
