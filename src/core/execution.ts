import { TransitionError } from './incident.js';
import type { ExecutionStatus } from './records.js';

/**
 * Execution lifecycle:
 *
 *   pending ──► awaiting_approval ──► running        (approved)
 *      │               └────────────► rejected | cancelled (deadline, problem gone)
 *      └──► running ◄──► verifying
 *              │  ▲          │
 *              ▼  │          └──► succeeded ──► rolling_back ──► rolled_back (the watch saw it get worse)
 *                                     └──► failed (worse, and nothing to undo)
 *         rolling_back ──► running (next strategy) | failed | rolled_back
 *
 *   running ──► held (a step's outcome is unknown after a crash) ──► pending (a person resumes) | failed (abandoned)
 *
 *   dry_run and shadowed are terminal records of what would have happened.
 */
const TRANSITIONS: Record<ExecutionStatus, readonly ExecutionStatus[]> = {
  pending: ['awaiting_approval', 'running', 'cancelled', 'dry_run', 'shadowed', 'failed', 'held'],
  awaiting_approval: ['running', 'rejected', 'cancelled'],
  running: ['verifying', 'rolling_back', 'failed', 'succeeded', 'held'],
  // A person resumes (the step in doubt is run again or taken as done) or abandons it.
  held: ['pending', 'running', 'failed'],
  verifying: ['succeeded', 'rolling_back', 'failed', 'running'],
  rolling_back: ['running', 'failed', 'rolled_back'],
  succeeded: ['rolled_back', 'rolling_back', 'failed'],
  failed: [],
  rolled_back: [],
  rejected: [],
  cancelled: [],
  dry_run: [],
  shadowed: [],
};

export const FINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['failed', 'rolled_back', 'rejected', 'cancelled', 'dry_run', 'shadowed'];
/** Statuses in which the execution holds its target (one at a time per target). */
export const BUSY_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'verifying', 'rolling_back'];

export function assertExecutionMove(id: string, from: ExecutionStatus, to: ExecutionStatus): void {
  if (from !== to && !TRANSITIONS[from].includes(to)) {
    throw new TransitionError(`execution ${id}: cannot go from ${from} to ${to}`);
  }
}
