import { describe, expect, it } from 'vitest';
import { breakerKey, closedBreaker, recordFailure, recordSuccess, resetBreaker, tripBreaker, type BreakerState } from '../../src/core/breaker.js';

const KEY = breakerKey('restart', 'web');
const fail = (b: BreakerState, ...times: number[]): BreakerState => times.reduce((s, t) => recordFailure(s, t, 3), b);

describe('circuit breaker', () => {
  it('keys by runbook and target', () => {
    expect(KEY).toBe('restart@web');
  });

  it('starts closed with no failures', () => {
    expect(closedBreaker(KEY)).toEqual({ key: 'restart@web', state: 'closed', failures: [], openedAt: null, reason: null });
  });

  it('stays closed below the threshold and remembers the failure times', () => {
    expect(fail(closedBreaker(KEY), 100, 200)).toEqual({ key: KEY, state: 'closed', failures: [100, 200], openedAt: null, reason: null });
  });

  it('opens at the threshold, at the time of the last failure', () => {
    expect(fail(closedBreaker(KEY), 100, 200, 300)).toEqual({ key: KEY, state: 'open', failures: [100, 200, 300], openedAt: 300, reason: null });
  });

  it('opens on the first failure with a threshold of 1', () => {
    expect(recordFailure(closedBreaker(KEY), 5, 1)).toMatchObject({ state: 'open', openedAt: 5 });
  });

  it('forgets the failures so far on a success while closed', () => {
    const b = recordSuccess(fail(closedBreaker(KEY), 100, 200));
    expect(b).toEqual(closedBreaker(KEY));
    expect(fail(b, 300, 400).state).toBe('closed');
  });

  it('does not close on a success while open', () => {
    const open = fail(closedBreaker(KEY), 100, 200, 300);
    expect(recordSuccess(recordSuccess(open))).toEqual(open);
  });

  it('keeps counting failures while open without moving the opening time', () => {
    const open = fail(closedBreaker(KEY), 100, 200, 300, 400);
    expect(open).toEqual({ key: KEY, state: 'open', failures: [100, 200, 300, 400], openedAt: 300, reason: null });
  });

  it('closes only on a reset, with the failures forgotten', () => {
    const open = fail(closedBreaker(KEY), 100, 200, 300);
    expect(resetBreaker(open)).toEqual({ key: KEY, state: 'closed', failures: [], openedAt: null, reason: null });
    expect(fail(resetBreaker(open), 500, 600).state).toBe('closed');
  });

  it('does not change the state it was given', () => {
    const b = closedBreaker(KEY);
    recordFailure(b, 1, 1);
    const two = fail(b, 1, 2);
    recordSuccess(two);
    expect(b).toEqual(closedBreaker(KEY));
    expect(two.failures).toEqual([1, 2]);
  });

  it('opens for a reason of its own (the restart-loop guard), without counted failures', () => {
    expect(tripBreaker(closedBreaker(KEY), 700, 'restart loop')).toEqual({ key: KEY, state: 'open', failures: [], openedAt: 700, reason: 'restart loop' });
  });

  it('keeps an open breaker as it opened when tripped again', () => {
    const open = fail(closedBreaker(KEY), 100, 200, 300);
    expect(tripBreaker(open, 900, 'restart loop')).toBe(open);
  });

  it('forgets the reason on a reset', () => {
    expect(resetBreaker(tripBreaker(closedBreaker(KEY), 700, 'restart loop'))).toEqual(closedBreaker(KEY));
  });
});
