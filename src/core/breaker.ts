/**
 * Circuit breaker per runbook + target:
 *
 *   closed ──(threshold failures)──► open ──(manual reset only)──► closed
 *
 * A success while closed clears the failures counted so far. While open,
 * nothing runs automatically for the key.
 */
export interface BreakerState {
  readonly key: string;
  readonly state: 'closed' | 'open';
  readonly failures: readonly number[];
  readonly openedAt: number | null;
}

export function breakerKey(runbook: string, target: string): string {
  return `${runbook}@${target}`;
}

export function closedBreaker(key: string): BreakerState {
  return { key, state: 'closed', failures: [], openedAt: null };
}

export function recordFailure(b: BreakerState, at: number, threshold: number): BreakerState {
  if (b.state === 'open') return { ...b, failures: [...b.failures, at] };
  const failures = [...b.failures, at];
  return failures.length >= threshold ? { ...b, state: 'open', failures, openedAt: at } : { ...b, failures };
}

export function recordSuccess(b: BreakerState): BreakerState {
  return b.state === 'open' ? b : { ...b, failures: [] };
}

export function resetBreaker(b: BreakerState): BreakerState {
  return closedBreaker(b.key);
}
