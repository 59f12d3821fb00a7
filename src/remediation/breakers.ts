import { breakerKey, closedBreaker, recordFailure, recordSuccess, resetBreaker, tripBreaker, type BreakerState } from '../core/breaker.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { flapping, flapReason, type FlapLimit } from '../core/flap.js';
import { OperationError } from '../core/operation-error.js';
import type { Execution } from '../core/records.js';
import type { Severity } from '../core/severity.js';
import type { Store } from '../store/types.js';

export interface BreakerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
  /** Failed executions that open a circuit (policy.circuit_breaker.failures). */
  readonly threshold: () => number;
}

/**
 * The circuit breakers per runbook + target (src/core/breaker.ts), kept in
 * memory and in the store: what outcomes do to them, the restart-loop guard
 * (src/core/flap.ts), and a person's reset. Every opening is announced once
 * (breaker:changed, which src/notify/bridge.ts turns into `circuit_open`).
 */
export class Breakers {
  private readonly map = new Map<string, BreakerState>();

  constructor(private readonly deps: BreakerDeps) {}

  async load(): Promise<void> {
    for (const b of await this.deps.store.breakers.list()) this.map.set(b.key, b);
  }

  get(runbook: string, target: string): BreakerState | undefined {
    return this.map.get(breakerKey(runbook, target));
  }

  list(): BreakerState[] {
    return [...this.map.values()];
  }

  /** A person closes a breaker (open or counting failures): automatic runs for its runbook and target may start again. */
  async reset(key: string, actor: string): Promise<BreakerState> {
    const before = this.map.get(key);
    if (!before) throw new OperationError('not_found', `no circuit breaker ${key}`);
    const after = resetBreaker(before);
    this.map.set(key, after);
    await this.deps.store.breakers.put(after);
    await this.deps.audit('breaker', key, 'reset', { was: before.state, failures: before.failures, reason: before.reason }, actor);
    this.deps.events.emit('breaker:changed', { key, state: after.state, failures: after.failures });
    return after;
  }

  /** An execution's outcome: a success (a clean watch) clears the count, anything else counts. */
  async record(execution: Execution, outcome: 'succeeded' | 'failed' | 'rolled_back'): Promise<void> {
    const key = breakerKey(execution.runbook, execution.target);
    const before = this.map.get(key) ?? closedBreaker(key);
    const after = outcome === 'succeeded' ? recordSuccess(before) : recordFailure(before, this.deps.clock.now(), this.deps.threshold());
    const why = `${after.failures.length} failed executions; automatic runs stop until a person resets it`;
    await this.change(before, after, { target: execution.target, severity: execution.severity, reason: why });
  }

  /**
   * The restart-loop guard, before an automatic decision: when one more fix of
   * this runbook on this target would be more than the limit allows in its
   * window, the circuit opens with a reason listing the fix times, whether or
   * not those fixes verified. `fixes` are the times they started.
   */
  async guardFlap(runbook: string, target: string, severity: Severity, fixes: readonly number[], limit: FlapLimit): Promise<void> {
    const key = breakerKey(runbook, target);
    const before = this.map.get(key) ?? closedBreaker(key);
    if (before.state === 'open') return;
    const now = this.deps.clock.now();
    const times = flapping(fixes, now, limit);
    if (!times) return;
    const reason = flapReason(key, times, limit);
    await this.change(before, tripBreaker(before, now, reason), { target, severity, reason });
  }

  private async change(before: BreakerState, after: BreakerState, about: { target: string; severity: Severity; reason: string }): Promise<void> {
    if (after === before) return;
    this.map.set(after.key, after);
    await this.deps.store.breakers.put(after);
    if (after.state === before.state) return;
    const reason = after.reason ?? about.reason;
    this.deps.events.emit('breaker:changed', { key: after.key, state: after.state, failures: after.failures, reason, target: about.target, severity: about.severity });
    await this.deps.audit('breaker', after.key, after.state, { failures: after.failures, reason });
  }
}
