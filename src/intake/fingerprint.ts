import { createHash } from 'node:crypto';

/**
 * A fingerprint for senders that give none: a hash of the sorted label set,
 * so the same labels always make the same alert (Alertmanager's own is also
 * a hash of the labels; we use it as it comes when it comes).
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(labels).sort()) h.update(k).update('\u0000').update(labels[k]!).update('\u0001');
  return h.digest('hex').slice(0, 16);
}
