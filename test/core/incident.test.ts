import { describe, expect, it } from 'vitest';
import { canMoveIncident, isActiveIncident, moveIncident, TransitionError } from '../../src/core/incident.js';
import { INCIDENT_STATUSES, type Incident, type IncidentStatus } from '../../src/core/records.js';

const incident = (status: IncidentStatus, resolvedAt: number | null = null): Incident => ({
  id: 'inc-1', fingerprint: 'down|web', rule: 'down', target: 'web', severity: 'P1', status, title: 'web is down',
  labels: {}, value: 0, source: 'rule', openedAt: 100, updatedAt: 100, resolvedAt, silenced: false,
});

describe('incident transitions', () => {
  it.each([
    ['open', 'remediating'], ['open', 'awaiting_approval'], ['open', 'escalated'], ['open', 'resolved'], ['open', 'failed'],
    ['remediating', 'resolved'], ['remediating', 'failed'], ['remediating', 'open'], ['remediating', 'escalated'],
    ['remediating', 'awaiting_approval'],
    ['awaiting_approval', 'remediating'], ['awaiting_approval', 'escalated'], ['awaiting_approval', 'open'],
    ['awaiting_approval', 'resolved'], ['awaiting_approval', 'failed'],
    ['escalated', 'remediating'], ['escalated', 'resolved'], ['escalated', 'awaiting_approval'], ['escalated', 'failed'],
    ['escalated', 'open'],
  ] as [IncidentStatus, IncidentStatus][])('allows %s → %s', (from, to) => {
    expect(canMoveIncident(from, to)).toBe(true);
    expect(moveIncident(incident(from), to, 500).status).toBe(to);
  });

  it.each(INCIDENT_STATUSES.flatMap((to) => [['resolved', to], ['failed', to]] as [IncidentStatus, IncidentStatus][])
    .filter(([from, to]) => from !== to && !(from === 'resolved' && to === 'escalated')))('refuses %s → %s: final for the fingerprint', (from, to) => {
    expect(canMoveIncident(from, to)).toBe(false);
    expect(() => moveIncident(incident(from, 50), to, 500)).toThrow(TransitionError);
  });

  it('lets the watch send a resolved incident whose fix did not hold to escalated, and clears resolvedAt', () => {
    expect(moveIncident(incident('resolved', 50), 'escalated', 500)).toEqual({ status: 'escalated', updatedAt: 500, resolvedAt: null });
  });

  it('names the incident and both states when it refuses', () => {
    expect(() => moveIncident(incident('resolved', 50), 'open', 500)).toThrow('incident inc-1: cannot go from resolved to open');
  });

  it('throws an error named TransitionError', () => {
    try {
      moveIncident(incident('failed', 50), 'open', 500);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe('TransitionError');
    }
  });

  it.each(INCIDENT_STATUSES)('allows staying in %s', (s) => {
    expect(canMoveIncident(s, s)).toBe(true);
  });

  it('stamps resolvedAt when resolving', () => {
    expect(moveIncident(incident('remediating'), 'resolved', 500)).toEqual({ status: 'resolved', updatedAt: 500, resolvedAt: 500 });
  });

  it('stamps resolvedAt when failing', () => {
    expect(moveIncident(incident('remediating'), 'failed', 700)).toEqual({ status: 'failed', updatedAt: 700, resolvedAt: 700 });
  });

  it('leaves resolvedAt alone on other moves', () => {
    expect(moveIncident(incident('open'), 'remediating', 300)).toEqual({ status: 'remediating', updatedAt: 300, resolvedAt: null });
  });

  it('keeps the first resolvedAt when a resolved incident is resolved again', () => {
    expect(moveIncident(incident('resolved', 500), 'resolved', 900).resolvedAt).toBe(500);
  });

  it('counts open, remediating, awaiting_approval and escalated as active', () => {
    expect(INCIDENT_STATUSES.filter(isActiveIncident)).toEqual(['open', 'remediating', 'awaiting_approval', 'escalated']);
  });
});
