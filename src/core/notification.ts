import type { Severity } from './severity.js';

/**
 * The kinds a notification's `event` names: what a channel's `events:` may list (the config
 * compiler refuses any other name, so a typo cannot silently mute a channel).
 */
export const NOTIFICATION_EVENTS = [
  'detected', 'needs_approval', 'remediating', 'escalated', 'fixed', 'failed', 'rolled_back', 'circuit_open', 'resolved',
  'notify',
] as const;

/** A name in a channel's `events:`: a kind, or `x*` for every kind starting with x. */
export function knownEventPattern(pattern: string): boolean {
  if (pattern.endsWith('*')) return NOTIFICATION_EVENTS.some((e) => e.startsWith(pattern.slice(0, -1)));
  return (NOTIFICATION_EVENTS as readonly string[]).includes(pattern);
}

/** What every notification carries, whatever sends it and whichever channel delivers it. */
export interface Notification {
  readonly event: string;
  readonly severity: Severity;
  readonly title: string;
  readonly text: string;
  readonly target?: string;
  readonly incidentId?: string;
  readonly executionId?: string;
}

export interface NotifierPort {
  /** Never throws and never blocks a remediation: delivery happens in the background. */
  notify(n: Notification): void;
}
