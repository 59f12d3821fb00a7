import type { Incident } from '../core/records.js';
import type { Severity } from '../core/severity.js';

/** What one open incident costs the score; silenced ones cost nothing (a person decided so). */
const WEIGHT: Record<Severity, number> = { P0: 40, P1: 25, P2: 10, P3: 3 };

/**
 * 100 with nothing open, down by each open incident's weight, never below 0.
 * Stands in until the engine computes a score with components (issue 3b).
 */
export function healthFromIncidents(incidents: readonly Incident[]): number {
  let cost = 0;
  for (const i of incidents) if (!i.silenced && i.status !== 'resolved' && i.status !== 'failed') cost += WEIGHT[i.severity];
  return Math.max(0, 100 - cost);
}
