import type { NotifierPort } from '../core/notification.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';

/**
 * The engine's notifications, every one made from its events (the engine
 * never calls the notifier itself; the `notify` action does, as a step):
 * `detected` (an incident opened), `remediating` (a fix started: PagerDuty
 * acknowledges), `resolved` (the incident ended, whichever way: PagerDuty
 * resolves), `needs_approval`, `fixed` / `failed` / `rolled_back` (an
 * execution's outcome), `escalated` (an incident went to a person, or an
 * approval expired without one) and `circuit_open`. Returns the unsubscribe.
 */
export function bridgeNotifications(events: EventBus, notifier: NotifierPort, clock: Clock): () => void {
  const offs = [
    events.on('incident:opened', ({ incident, explain }) => {
      if (incident.silenced) return;
      notifier.notify({ event: 'detected', severity: incident.severity, title: `Detected: ${incident.title}`, text: explain, target: incident.target, incidentId: incident.id });
    }),
    events.on('incident:updated', ({ incident, why }) => {
      if (incident.status !== 'remediating' || incident.silenced) return;
      notifier.notify({ event: 'remediating', severity: incident.severity, title: `Remediating: ${incident.title}`, text: why, target: incident.target, incidentId: incident.id });
    }),
    events.on('incident:resolved', ({ incident, why }) => {
      if (incident.silenced) return;
      notifier.notify({ event: 'resolved', severity: incident.severity, title: `Resolved: ${incident.title}`, text: why, target: incident.target, incidentId: incident.id });
    }),
    events.on('incident:escalated', ({ incident, reason, executionId }) => {
      if (incident.silenced) return;
      notifier.notify({
        event: 'escalated', severity: incident.severity, title: `Escalated: ${incident.title}`, text: reason, target: incident.target,
        incidentId: incident.id, ...(executionId ? { executionId } : {}),
      });
    }),
    events.on('approval:requested', ({ execution: e, reason }) => {
      notifier.notify({
        event: 'needs_approval', severity: e.severity, title: `Approval needed: ${e.runbook} on ${e.target}`, text: reason, target: e.target,
        incidentId: e.incidentId ?? undefined, executionId: e.id,
      });
    }),
    events.on('approval:expired', ({ execution: e, reason, incidentEscalated }) => {
      // With an incident, its escalation says it (incident:escalated above); without one, this does.
      if (incidentEscalated) return;
      notifier.notify({
        event: 'escalated', severity: e.severity, title: `Escalated: nobody approved ${e.runbook} on ${e.target}`, text: reason, target: e.target,
        incidentId: e.incidentId ?? undefined, executionId: e.id,
      });
    }),
    events.on('execution:finished', ({ execution: e, outcome, reason }) => {
      const about = { severity: e.severity, target: e.target, incidentId: e.incidentId ?? undefined, executionId: e.id };
      if (outcome === 'succeeded') {
        const ms = (e.finishedAt ?? clock.now()) - (e.startedAt ?? e.createdAt);
        notifier.notify({ event: 'fixed', title: `Fixed: ${e.runbook} on ${e.target}`, text: `verified, and held through its watch, in ${ms} ms`, ...about });
        return;
      }
      const title = `${outcome === 'failed' ? 'Failed' : 'Rolled back'}: ${e.runbook} on ${e.target}`;
      notifier.notify({ event: outcome, title, text: reason, ...about });
    }),
    events.on('breaker:changed', ({ key, state, reason, target, severity }) => {
      if (state !== 'open') return;
      notifier.notify({
        event: 'circuit_open', severity: severity ?? 'P2', title: `Circuit open: ${key}`,
        text: reason ?? 'automatic runs stop until a person resets it', ...(target ? { target } : {}),
      });
    }),
  ];
  return () => offs.forEach((off) => off());
}
