import { describe, expect, it } from 'vitest';
import { assertExecutionMove, BUSY_EXECUTION_STATUSES, FINAL_EXECUTION_STATUSES, moveExecution } from '../../src/core/execution.js';
import { TransitionError } from '../../src/core/incident.js';
import { EXECUTION_STATUSES, type Execution, type ExecutionStatus } from '../../src/core/records.js';

const allowed = (from: ExecutionStatus, to: ExecutionStatus): boolean => {
  try {
    assertExecutionMove('ex-1', from, to);
    return true;
  } catch (err) {
    if (err instanceof TransitionError) return false;
    throw err;
  }
};

describe('execution transitions', () => {
  it.each([
    ['pending', 'awaiting_approval'], ['pending', 'running'], ['pending', 'cancelled'], ['pending', 'dry_run'],
    ['pending', 'shadowed'], ['pending', 'failed'],
    ['awaiting_approval', 'pending'], ['awaiting_approval', 'rejected'], ['awaiting_approval', 'cancelled'],
    ['running', 'verifying'], ['running', 'rolling_back'], ['running', 'failed'], ['running', 'succeeded'], ['running', 'watching'],
    ['verifying', 'watching'], ['verifying', 'succeeded'], ['verifying', 'rolling_back'], ['verifying', 'failed'], ['verifying', 'running'],
    ['watching', 'succeeded'], ['watching', 'rolling_back'], ['watching', 'failed'],
    ['rolling_back', 'running'], ['rolling_back', 'failed'], ['rolling_back', 'rolled_back'],
    ['succeeded', 'rolling_back'],
  ] as [ExecutionStatus, ExecutionStatus][])('allows %s → %s', (from, to) => {
    expect(allowed(from, to)).toBe(true);
  });

  it.each([
    ['pending', 'succeeded'], ['pending', 'verifying'], ['pending', 'rejected'],
    ['awaiting_approval', 'succeeded'], ['awaiting_approval', 'dry_run'], ['awaiting_approval', 'failed'],
    ['running', 'awaiting_approval'], ['running', 'rolled_back'], ['running', 'pending'],
    ['verifying', 'rolled_back'], ['rolling_back', 'succeeded'], ['rolling_back', 'verifying'],
    ['succeeded', 'running'], ['succeeded', 'verifying'],
    // An approved execution is pending for the executor; only the executor starts it running.
    ['awaiting_approval', 'running'],
    // A success is the watch's verdict: it is never undone by the engine afterwards.
    ['succeeded', 'rolled_back'], ['succeeded', 'failed'], ['succeeded', 'watching'],
    ['watching', 'running'], ['watching', 'rolled_back'], ['watching', 'verifying'],
  ] as [ExecutionStatus, ExecutionStatus][])('refuses %s → %s', (from, to) => {
    expect(allowed(from, to)).toBe(false);
  });

  it.each(FINAL_EXECUTION_STATUSES)('lets nothing leave %s', (from) => {
    expect(EXECUTION_STATUSES.filter((to) => to !== from && allowed(from, to))).toEqual([]);
  });

  it.each(EXECUTION_STATUSES)('allows staying in %s', (s) => {
    expect(allowed(s, s)).toBe(true);
  });

  it('names the execution and both states when it refuses', () => {
    expect(() => assertExecutionMove('ex-9', 'rolled_back', 'running')).toThrow('execution ex-9: cannot go from rolled_back to running');
  });

  it('reaches succeeded only from a clean watch (or no watch): verifying and watching lead there, nothing after it but a person\'s rollback', () => {
    expect(EXECUTION_STATUSES.filter((from) => from !== 'succeeded' && allowed(from, 'succeeded'))).toEqual(['running', 'verifying', 'watching']);
    expect(FINAL_EXECUTION_STATUSES).not.toContain('succeeded');
    expect(EXECUTION_STATUSES.filter((to) => allowed('succeeded', to) && to !== 'succeeded')).toEqual(['rolling_back']);
  });

  it('holds the target while pending, running, verifying, watching or rolling back', () => {
    expect([...BUSY_EXECUTION_STATUSES].sort()).toEqual(['pending', 'rolling_back', 'running', 'verifying', 'watching']);
  });

  it('moves through one gate that asserts the table and says where it came from', () => {
    const e = { id: 'ex-2', status: 'verifying' } as unknown as Execution;
    expect(moveExecution(e, 'watching', { strategy: 1 })).toEqual({ next: { id: 'ex-2', status: 'watching', strategy: 1 }, from: 'verifying' });
    expect(() => moveExecution(e, 'rolled_back')).toThrow('execution ex-2: cannot go from verifying to rolled_back');
  });

  it('never counts a final status as busy', () => {
    expect(BUSY_EXECUTION_STATUSES.filter((s) => FINAL_EXECUTION_STATUSES.includes(s))).toEqual([]);
  });
});
