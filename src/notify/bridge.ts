import type { NotifierPort } from '../actions/types.js';
import type { EventBus } from '../core/events.js';

/**
 * Notifications the engine's remediation path does not send itself, made from
 * its events: `detected` (an incident opened), `remediating` (a fix started:
 * PagerDuty acknowledges) and `resolved` (the incident ended, whichever way:
 * PagerDuty resolves). Returns the unsubscribe.
 */
export function bridgeNotifications(events: EventBus, notifier: NotifierPort): () => void {
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
  ];
  return () => offs.forEach((off) => off());
}
