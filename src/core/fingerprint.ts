import type { Incident } from './records.js';

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

/**
 * The label that tells one replica of a supervised group from another. A
 * sample carrying it belongs to that replica's own series; a rule reading such
 * a signal is judged once per replica, and each replica's problem is its own
 * incident (SPEC §2: rule + target + identifying labels).
 */
export const REPLICA_LABEL = 'replica';

/** The labels of a rule's problem that identify it: the replica, when it is about one. */
export function replicaLabels(replica: string | undefined): Record<string, string> {
  return replica === undefined ? {} : { [REPLICA_LABEL]: replica };
}

/**
 * The labels the detector knows an incident's problem by: a rule incident's
 * replica. An alert incident's labels come from its alerts, not from a rule
 * judged per replica, so they identify no detector state.
 */
export function ruleScope(i: Pick<Incident, 'source' | 'labels'>): Record<string, string> {
  return i.source === 'rule' ? replicaLabels(i.labels[REPLICA_LABEL]) : {};
}
