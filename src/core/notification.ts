import type { Severity } from './severity.js';

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
