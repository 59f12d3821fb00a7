/**
 * One incident per fingerprint while it is open. The fingerprint is the rule,
 * the target and the identifying labels, sorted, so that the same problem
 * reported twice (or by two Alertmanagers) maps to the same incident.
 */
export function fingerprint(rule: string, target: string, labels: Readonly<Record<string, string>> = {}): string {
  const parts = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`);
  return [rule, target, ...parts].join('|');
}
