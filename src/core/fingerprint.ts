/**
 * One incident per fingerprint while it is open. The fingerprint is the rule,
 * the target and the identifying labels, sorted, so that the same problem
 * reported twice (or by two Alertmanagers) maps to the same incident.
 */
export function fingerprint(rule: string, target: string, labels: Readonly<Record<string, string>> = {}): string {
  // Escaped, so that a label value holding the separators cannot pass for two labels.
  const esc = (s: string) => s.replace(/[%|=]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  const parts = Object.keys(labels).sort().map((k) => `${esc(k)}=${esc(labels[k]!)}`);
  return [esc(rule), esc(target), ...parts].join('|');
}
