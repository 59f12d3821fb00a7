import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { Execution } from '../core/records.js';
import type { Severity } from '../core/severity.js';
import type { Store } from '../store/types.js';
import type { EventBus } from '../core/events.js';
import type { Incidents } from '../incidents/incidents.js';

export interface ApprovalDeadlineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly incidents: Incidents;
  readonly timeoutMs: () => Readonly<Record<Severity, number>>;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

const IDLE_MS = 3_600_000;
const RETRY_MS = 5_000;

/**
 * Approvals that escalate (SPEC §5): an execution waiting for a person has a
 * deadline by severity (P0 15 min, P1 60 min by default). When it passes
 * without a decision the execution is cancelled as `expired` — it is never
 * run without an approval — and the incident is escalated through the
 * notification route for `escalated`.
 *
 * One timer on the engine clock sleeps until the earliest deadline; a new
 * approval wakes it to recompute. Deadlines come from the stored creation
 * time, so a restart keeps them (and expires at once what passed meanwhile).
 */
export class ApprovalDeadlines {
  private wake = new AbortController();
  private readonly stopper = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private off: () => void = () => {};

  constructor(private readonly deps: ApprovalDeadlineDeps) {}

  start(): void {
    this.off = this.deps.events.on('execution:created', ({ execution }) => {
      if (execution.status === 'awaiting_approval') this.wake.abort();
    });
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.off();
    this.stopper.abort();
    this.wake.abort();
    await this.done;
  }

  /** When this execution's approval expires. */
  deadlineOf(e: Pick<Execution, 'createdAt' | 'severity'>): number {
    return e.createdAt + this.deps.timeoutMs()[e.severity];
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      // A fresh wake before the scan: an approval created during the scan aborts it, so the sleep below ends at once.
      this.wake = new AbortController();
      let wait: number;
      try {
        const next = await this.expireDue();
        wait = next === null ? IDLE_MS : Math.max(0, next - this.deps.clock.now());
      } catch {
        // The store may be busy or closing: try again soon, not at the next wake-up, or a deadline could slip by.
        wait = RETRY_MS;
      }
      try {
        await this.deps.clock.sleep(wait, AbortSignal.any([this.wake.signal, this.stopper.signal]));
      } catch {
        // Woken: a new approval, or stopping.
      }
    }
  }

  /** Expires every approval past its deadline; returns the next deadline, if any. */
  private async expireDue(): Promise<number | null> {
    const waiting = await this.deps.store.executions.list({ status: ['awaiting_approval'], limit: 10_000, order: 'asc' });
    let next: number | null = null;
    for (const e of waiting.items) {
      const deadline = this.deadlineOf(e);
      if (deadline <= this.deps.clock.now()) await this.expire(e, deadline);
      else next = next === null ? deadline : Math.min(next, deadline);
    }
    return next;
  }

  private async expire(e: Execution, deadline: number): Promise<void> {
    const now = this.deps.clock.now();
    const waited = formatDuration(deadline - e.createdAt);
    const why = `approval expired: no decision within ${waited} (${e.severity}); not run, escalated to a person`;
    const expired = await this.deps.store.executions.move(e, 'cancelled', { finishedAt: now, error: why });
    if (!expired) return;
    this.deps.events.emit('execution:transition', { execution: expired, from: e.status });
    await this.deps.audit('approval', e.id, 'expired', { runbook: e.runbook, target: e.target, severity: e.severity, waitedMs: now - e.createdAt });
    const incident = e.incidentId ? this.deps.incidents.byId(e.incidentId) : undefined;
    const escalate = incident !== undefined && incident.status === 'awaiting_approval';
    if (escalate) await this.deps.incidents.move(incident, 'escalated', why, { execution: e.id });
    // The notification comes from the events (src/notify/bridge.ts): the incident's escalation, or this.
    this.deps.events.emit('approval:expired', { execution: expired, reason: why, incidentEscalated: escalate });
  }
}
