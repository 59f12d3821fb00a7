import type { StepRecord } from './records.js';

/**
 * The executor as a function of its stored history (STYLE habit 3): given the
 * shape of the runbook and the step records persisted so far, decide the next
 * command. No I/O here. Resuming after a crash is calling this again on what
 * the store holds; tests feed records and check commands.
 *
 * Per strategy s: forward steps in order → verify → (next strategy on
 * failure, after undoing s's completed steps in reverse) → done. The watch
 * runs after success and rolls the winning strategy back if things got worse.
 */
export interface StepShape {
  readonly action: string;
  readonly onFailure: 'abort' | 'skip' | 'continue';
  /** An explicit rollback, or an action that can undo itself. */
  readonly canRollback: boolean;
  /** Safe to run again when a crash left its outcome unknown. */
  readonly idempotent: boolean;
}

export interface RunbookShape {
  readonly strategies: readonly { readonly steps: readonly StepShape[] }[];
  readonly watch: boolean;
}

export type Command =
  | { readonly kind: 'run_step'; readonly strategy: number; readonly index: number; readonly retry: boolean }
  | { readonly kind: 'verify'; readonly strategy: number }
  | { readonly kind: 'rollback_step'; readonly strategy: number; readonly index: number; readonly reason: string }
  | { readonly kind: 'watch'; readonly strategy: number }
  /** A non-idempotent step was running when the engine died: a person decides. */
  | { readonly kind: 'in_doubt'; readonly strategy: number; readonly index: number }
  | {
    readonly kind: 'finish'; readonly status: 'succeeded' | 'failed' | 'rolled_back'; readonly strategy: number; readonly reason: string;
    /** Set when nothing more should be tried automatically: the target's state is not known. */
    readonly needsPerson?: true;
  };

export function nextCommand(shape: RunbookShape, records: readonly StepRecord[]): Command {
  const last = shape.strategies.length - 1;
  for (let s = 0; s <= last; s++) {
    const outcome = strategyOutcome(shape, s, records);
    if (outcome.kind === 'command') return outcome.command;
    if (outcome.kind === 'succeeded') {
      if (!shape.watch) return { kind: 'finish', status: 'succeeded', strategy: s, reason: 'verified' };
      const watch = latest(records, (r) => r.phase === 'watch' && r.strategy === s);
      if (!watch || watch.status === 'running' || watch.status === 'pending') return { kind: 'watch', strategy: s };
      if (watch.status === 'succeeded' || watch.status === 'skipped') {
        return { kind: 'finish', status: 'succeeded', strategy: s, reason: 'verified; the watch saw nothing get worse' };
      }
      const why = `watch: ${watch.error ?? 'things got worse'}`;
      const undo = nextRollback(shape, s, records, why);
      if (undo) return undo;
      const undone = records.some((r) => r.phase === 'rollback' && r.strategy === s && r.status === 'rolled_back');
      // With nothing undone, "rolled back" would be untrue: the fix did not hold.
      return { kind: 'finish', status: undone ? 'rolled_back' : 'failed', strategy: s, reason: undone ? why : `${why}; nothing to undo` };
    }
    // This strategy failed: undo what it did, then try the next one.
    const undo = nextRollback(shape, s, records, outcome.reason);
    if (undo) return undo;
    if (s === last) return { kind: 'finish', status: 'failed', strategy: s, reason: outcome.reason };
  }
  return { kind: 'finish', status: 'failed', strategy: 0, reason: 'runbook has no strategies' };
}

type Outcome =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly reason: string };

function strategyOutcome(shape: RunbookShape, s: number, records: readonly StepRecord[]): Outcome {
  const steps = shape.strategies[s]!.steps;
  for (let i = 0; i < steps.length; i++) {
    const rec = latest(records, (r) => r.phase === 'step' && r.strategy === s && r.index === i);
    if (!rec || rec.status === 'pending') return { kind: 'command', command: { kind: 'run_step', strategy: s, index: i, retry: false } };
    if (rec.status === 'running') {
      return steps[i]!.idempotent
        ? { kind: 'command', command: { kind: 'run_step', strategy: s, index: i, retry: true } }
        : { kind: 'command', command: { kind: 'in_doubt', strategy: s, index: i } };
    }
    if (rec.status === 'unknown') {
      return { kind: 'command', command: { kind: 'finish', status: 'failed', strategy: s, needsPerson: true,
        reason: `step "${rec.name}" was left in doubt when the engine stopped and is not safe to repeat: a person must decide` } };
    }
    if (rec.status === 'failed' && steps[i]!.onFailure === 'abort') {
      return { kind: 'failed', reason: `step "${rec.name}" failed: ${rec.error ?? 'unknown error'}` };
    }
    // skip: the strategy's remaining steps are left out and verify decides whether it worked.
    if (rec.status === 'failed' && steps[i]!.onFailure === 'skip') break;
    // succeeded, skipped (by `when`) or failed with continue: go on with the next step.
  }
  const verify = latest(records, (r) => r.phase === 'verify' && r.strategy === s);
  if (!verify || verify.status === 'running' || verify.status === 'pending') {
    return { kind: 'command', command: { kind: 'verify', strategy: s } };
  }
  if (verify.status === 'succeeded') return { kind: 'succeeded' };
  return { kind: 'failed', reason: `verify failed: ${verify.error ?? 'the problem still holds'}` };
}

/** The next completed step of strategy s to undo, last first; null when nothing is left to undo. */
function nextRollback(shape: RunbookShape, s: number, records: readonly StepRecord[], reason: string): Command | null {
  const steps = shape.strategies[s]!.steps;
  for (let i = steps.length - 1; i >= 0; i--) {
    if (!steps[i]!.canRollback) continue;
    const fwd = latest(records, (r) => r.phase === 'step' && r.strategy === s && r.index === i);
    if (!fwd || fwd.status !== 'succeeded') continue;
    const undo = latest(records, (r) => r.phase === 'rollback' && r.strategy === s && r.index === i);
    // An undo that crashed half way is run again: rollbacks restore a recorded state, so they are idempotent.
    if (!undo || undo.status === 'running' || undo.status === 'pending') return { kind: 'rollback_step', strategy: s, index: i, reason };
    // An undo that failed leaves the target in a state nobody knows: no further strategy, a person looks.
    if (undo.status === 'rollback_failed') {
      return { kind: 'finish', status: 'failed', strategy: s, needsPerson: true, reason: `undo of "${fwd.name}" failed (${undo.error ?? 'unknown error'}) after: ${reason}; the target needs a person` };
    }
  }
  return null;
}

function latest(records: readonly StepRecord[], pred: (r: StepRecord) => boolean): StepRecord | undefined {
  let found: StepRecord | undefined;
  for (const r of records) if (pred(r) && (!found || r.seq > found.seq)) found = r;
  return found;
}
