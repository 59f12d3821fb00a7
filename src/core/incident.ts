import type { Incident, IncidentStatus } from './records.js';

/**
 * Incident lifecycle (SPEC §2):
 *
 *   open ──► remediating ──► resolved
 *    │  ▲        │  └──────► failed | escalated
 *    │  └────────┘ (an attempt ended, the problem still holds: the detector and policy decide again)
 *    ├──► awaiting_approval ──► remediating | open | escalated (deadline, rejection) | resolved (cleared by itself)
 *    ├──► escalated ──► remediating | awaiting_approval | open | resolved | failed   (a person acts)
 *    ├──► failed
 *    └──► resolved                      (the rule stopped holding by itself)
 *
 * failed is final; resolved is final too, except that the watch may send it
 * to escalated when the verified fix did not hold. The same problem coming
 * back later opens a new incident.
 */
const TRANSITIONS: Record<IncidentStatus, readonly IncidentStatus[]> = {
  open: ['remediating', 'awaiting_approval', 'resolved', 'escalated', 'failed'],
  remediating: ['open', 'resolved', 'failed', 'escalated', 'awaiting_approval'],
  awaiting_approval: ['remediating', 'open', 'escalated', 'resolved', 'failed'],
  escalated: ['remediating', 'awaiting_approval', 'resolved', 'failed', 'open'],
  // Only the watch reopens: a fix verified, then found not to hold, goes to a person.
  resolved: ['escalated'],
  failed: [],
};

export const ACTIVE_INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'remediating', 'awaiting_approval', 'escalated'];

/** What may change on an incident besides its status (which moves only through `moveIncident`). */
export type IncidentPatch = Partial<Omit<Incident, 'id' | 'fingerprint' | 'status'>>;

export class TransitionError extends Error {
  override readonly name = 'TransitionError';
}

export function canMoveIncident(from: IncidentStatus, to: IncidentStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Returns the patch for the move, or throws when the move is not allowed from where it is. */
export function moveIncident(incident: Incident, to: IncidentStatus, at: number): Pick<Incident, 'status' | 'updatedAt' | 'resolvedAt'> {
  if (!canMoveIncident(incident.status, to)) {
    throw new TransitionError(`incident ${incident.id}: cannot go from ${incident.status} to ${to}`);
  }
  if (incident.status === to) return { status: to, updatedAt: incident.updatedAt, resolvedAt: incident.resolvedAt };
  return { status: to, updatedAt: at, resolvedAt: to === 'resolved' || to === 'failed' ? at : isActiveIncident(to) ? null : incident.resolvedAt };
}

export function isActiveIncident(status: IncidentStatus): boolean {
  return ACTIVE_INCIDENT_STATUSES.includes(status);
}
