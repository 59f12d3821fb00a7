import { z } from 'zod';
import { parseTime } from './alertmanager.js';
import { labelsFingerprint } from './fingerprint.js';
import type { IncomingAlert } from './types.js';

/**
 * The generic JSON webhook, for senders other than Alertmanager (Grafana,
 * a cron job, a script):
 *
 *   { "alerts": [ { "labels": {"alertname": "DiskFull", "instance": "db1"},
 *                   "status": "firing" | "resolved",          (default firing)
 *                   "annotations": {...},                      (optional)
 *                   "fingerprint": "...",                      (default: hash of the labels)
 *                   "startsAt": "RFC 3339" | epoch ms,         (default: when received)
 *                   "endsAt": "RFC 3339" | epoch ms } ] }      (optional)
 *
 * A single alert object (without the `alerts` array) is accepted as well.
 * The same labels (or fingerprint) reported again while firing are one alert.
 */
const labelSet = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'label names are letters, digits and _'), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const time = z.union([z.string().min(1), z.number().int().min(0)]);

const webhookAlert = z.strictObject({
  labels: labelSet.refine((l) => Object.keys(l).length > 0, 'at least one label'),
  status: z.enum(['firing', 'resolved']).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  fingerprint: z.string().min(1).max(200).optional(),
  startsAt: time.optional(),
  endsAt: time.optional(),
});

export const webhookPayload = z.union([
  z.strictObject({ alerts: z.array(webhookAlert).min(1).max(10_000) }),
  webhookAlert.transform((a) => ({ alerts: [a] })),
]);
export type WebhookPayload = z.output<typeof webhookPayload>;

export function fromWebhook(p: WebhookPayload, now: number): IncomingAlert[] {
  return p.alerts.map((a, i) => ({
    fingerprint: a.fingerprint ?? labelsFingerprint(a.labels),
    status: a.status ?? 'firing',
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: toMs(a.startsAt, `alerts[${i}].startsAt`) ?? now,
    endsAt: toMs(a.endsAt, `alerts[${i}].endsAt`),
  }));
}

function toMs(v: string | number | undefined, field: string): number | null {
  if (v === undefined) return null;
  return typeof v === 'number' ? v : parseTime(v, field);
}
