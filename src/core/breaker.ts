/**
 * Circuit breaker per runbook + target:
 *
 *   closed ──(threshold failures, or the restart-loop guard: ./flap.ts)──► open ──(manual reset only)──► closed
 *
 * A success while closed clears the failures counted so far (a success is a
 * fix whose watch ended clean). While open, nothing runs automatically for the key.
 */
export interface BreakerState {
  readonly key: string;
  readonly state: 'closed' | 'open';
  readonly failures: readonly number[];
  readonly openedAt: number | null;
  /** Why it opened when not by counted failures (the restart-loop guard's reason); null otherwise. */
  readonly reason: string | null;
}

export function breakerKey(runbook: string, target: string): string {
  return `${runbook}@${target}`;
}

export function closedBreaker(key: string): BreakerState {
  return { key, state: 'closed', failures: [], openedAt: null, reason: null };
}

export function recordFailure(b: BreakerState, at: number, threshold: number): BreakerState {
  if (b.state === 'open') return { ...b, failures: [...b.failures, at] };
  const failures = [...b.failures, at];
  return failures.length >= threshold ? { ...b, state: 'open', failures, openedAt: at, reason: null } : { ...b, failures };
}

export function recordSuccess(b: BreakerState): BreakerState {
  return b.state === 'open' ? b : { ...b, failures: [] };
}

/** Opens the circuit for a reason other than counted failures; an open one stays as it opened. */
export function tripBreaker(b: BreakerState, at: number, reason: string): BreakerState {
  return b.state === 'open' ? b : { ...b, state: 'open', openedAt: at, reason };
}

export function resetBreaker(b: BreakerState): BreakerState {
  return closedBreaker(b.key);
}
