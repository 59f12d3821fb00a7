import { TransitionError } from './incident.js';
import type { Execution, ExecutionStatus } from './records.js';

/**
 * Execution lifecycle:
 *
 *   pending ──► awaiting_approval ──► pending (approved) | rejected | cancelled (deadline, problem gone)
 *      └──► running ◄──► verifying ──► watching ──► succeeded (the watch ended clean)
 *              │  ▲          │             └──► rolling_back | failed (worse, or a new problem on the
 *              ▼  │          │                  target, and nothing to undo)
 *         rolling_back ◄─────┘
 *         rolling_back ──► running (next strategy) | failed | rolled_back
 *
 *   succeeded ──► rolling_back (a person's rollback)
 *   running | rolling_back ──► held (a step's or an undo's outcome is unknown after a crash)
 *   held ──► pending (a person resumes) | failed (abandoned)
 *
 *   dry_run and shadowed are terminal records of what would have happened.
 *   A verified fix is `watching` until its watch ends: only a clean watch is a success.
 */
const TRANSITIONS: Record<ExecutionStatus, readonly ExecutionStatus[]> = {
  pending: ['awaiting_approval', 'running', 'cancelled', 'dry_run', 'shadowed', 'failed', 'held'],
  awaiting_approval: ['pending', 'rejected', 'cancelled'],
  // running → watching: resumed after a restart in the middle of its watch.
  running: ['verifying', 'watching', 'rolling_back', 'failed', 'succeeded', 'held'],
  // A person resumes (the step in doubt is run again or taken as done) or abandons it.
  held: ['pending', 'running', 'failed'],
  verifying: ['watching', 'succeeded', 'rolling_back', 'failed', 'running'],
  watching: ['succeeded', 'rolling_back', 'failed'],
  // rolling_back → held: an undo's outcome is unknown after a crash.
  rolling_back: ['running', 'failed', 'rolled_back', 'held'],
  succeeded: ['rolling_back'],
  failed: [],
  rolled_back: [],
  rejected: [],
  cancelled: [],
  dry_run: [],
  shadowed: [],
};

export const FINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['failed', 'rolled_back', 'rejected', 'cancelled', 'dry_run', 'shadowed'];
/** Statuses in which the execution holds its target (one at a time per target); the watch holds it too. */
export const BUSY_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'verifying', 'watching', 'rolling_back'];

export function canMoveExecution(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function assertExecutionMove(id: string, from: ExecutionStatus, to: ExecutionStatus): void {
  if (!canMoveExecution(from, to)) throw new TransitionError(`execution ${id}: cannot go from ${from} to ${to}`);
}

/** What an execution move may change besides its status. */
export type ExecutionPatch = Partial<Omit<Execution, 'id' | 'status'>>;

/**
 * The one gate for an execution's status: asserts the table and returns the
 * record after the move, with where it came from. The store applies it with a
 * compare-and-set on `from`, so a move decided on a stale copy changes nothing.
 */
export function moveExecution(execution: Execution, to: ExecutionStatus, patch: ExecutionPatch = {}): { next: Execution; from: ExecutionStatus } {
  assertExecutionMove(execution.id, execution.status, to);
  return { next: { ...execution, ...patch, status: to }, from: execution.status };
}
