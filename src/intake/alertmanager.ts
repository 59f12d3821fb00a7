import { z } from 'zod';
import { labelsFingerprint } from './fingerprint.js';
import type { IncomingAlert } from './types.js';

/**
 * Alertmanager's webhook payload, version 4, as Alertmanager sends it
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Loose objects: fields a newer Alertmanager adds are ignored, not refused.
 * A firing alert's endsAt is often the zero time "0001-01-01T00:00:00Z":
 * that reads as "no end".
 */
const labelSet = z.record(z.string(), z.string());

const amAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.optional(),
  startsAt: z.string().min(1),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(200).optional(),
});

export const alertmanagerPayload = z.looseObject({
  version: z.literal('4', { error: (i) => `expected "4" (Alertmanager webhook payload version 4), got ${JSON.stringify(i.input)}` }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(amAlert).max(10_000),
});
export type AlertmanagerPayload = z.output<typeof alertmanagerPayload>;

export function fromAlertmanager(p: AlertmanagerPayload): IncomingAlert[] {
  return p.alerts.map((a, i) => ({
    fingerprint: a.fingerprint ?? labelsFingerprint(a.labels),
    status: a.status,
    labels: a.labels,
    annotations: a.annotations ?? {},
    startsAt: parseTime(a.startsAt, `alerts[${i}].startsAt`) ?? 0,
    endsAt: a.endsAt === undefined ? null : parseTime(a.endsAt, `alerts[${i}].endsAt`),
  }));
}

/** RFC 3339 → epoch ms; Go's zero time (year 1) → null. */
export function parseTime(s: string, field: string): number | null {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new z.ZodError([{ code: 'custom', path: field.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: `not an RFC 3339 time: ${JSON.stringify(s)}`, input: s }]);
  return t <= 0 ? null : t;
}
