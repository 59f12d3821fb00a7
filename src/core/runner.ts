import type { StepRecord } from './records.js';

/**
 * The executor as a function of its stored history (STYLE habit 3): given the
 * shape of the runbook and the step records persisted so far, decide the next
 * command. No I/O here. Resuming after a crash is calling this again on what
 * the store holds; tests feed records and check commands.
 *
 * Per strategy s: forward steps in order → verify → (next strategy on
 * failure, after undoing s's completed steps in reverse) → watch → done. The
 * watch runs after verify; only a clean watch is a success. When it sees
 * things get worse it rolls the winning strategy back, and the outcome goes to
 * a person either way (rolled_back when something was undone, else failed).
 */
export interface StepShape {
  readonly action: string;
  readonly onFailure: 'abort' | 'skip' | 'continue';
  /**
   * The runbook steps (chains) this step was called through, outermost first:
   * the steps start..end (inclusive) of the strategy came from one called runbook.
   */
  readonly groups?: readonly GroupShape[];
  /** An explicit rollback, or an action that can undo itself. */
  readonly canRollback: boolean;
  /** Safe to run again when a crash left its outcome unknown. */
  readonly idempotent: boolean;
  /**
   * The same for its undo (the explicit rollback's action, or the action's own
   * rollback): an undo can be an `exec` or an HTTP call, not safe to send twice.
   */
  readonly undoIdempotent: boolean;
}

export interface GroupShape {
  readonly start: number;
  readonly end: number;
  readonly onFailure: 'abort' | 'skip' | 'continue';
}

export interface RunbookShape {
  readonly strategies: readonly { readonly steps: readonly StepShape[] }[];
  readonly watch: boolean;
  /**
   * What a failed strategy does before the next one (or the end): undo its
   * completed steps last first (the default, and chain strategy
   * rollback-on-failure), or stop and leave them (stop-on-failure,
   * continue-on-error).
   */
  readonly onFailure?: 'rollback' | 'stop';
  /** A chain's max_duration: past it no further step starts and the strategy has failed. 0 = none. */
  readonly maxDurationMs?: number;
}

/** Where the execution stands in time; only chains with max_duration ask. */
export interface Elapsed {
  readonly ms: number;
}

export type Command =
  | { readonly kind: 'run_step'; readonly strategy: number; readonly index: number; readonly retry: boolean }
  | { readonly kind: 'verify'; readonly strategy: number }
  | { readonly kind: 'rollback_step'; readonly strategy: number; readonly index: number; readonly reason: string }
  | { readonly kind: 'watch'; readonly strategy: number }
  /** A non-idempotent step (or undo) was running when the engine died: a person decides. */
  | { readonly kind: 'in_doubt'; readonly phase: 'step' | 'rollback'; readonly strategy: number; readonly index: number }
  | {
    readonly kind: 'finish'; readonly status: 'succeeded' | 'failed' | 'rolled_back'; readonly strategy: number; readonly reason: string;
    /** Set when nothing more should be tried automatically: the target's state is not known. */
    readonly needsPerson?: true;
    /** Set when a step's outcome is unknown: the execution is held for a person to resume or abandon. */
    readonly hold?: true;
  };

export function nextCommand(shape: RunbookShape, records: readonly StepRecord[], elapsed: Elapsed = { ms: 0 }): Command {
  const last = shape.strategies.length - 1;
  for (let s = 0; s <= last; s++) {
    const outcome = strategyOutcome(shape, s, records, elapsed);
    if (outcome.kind === 'command') return outcome.command;
    if (outcome.kind === 'succeeded') {
      if (!shape.watch) return { kind: 'finish', status: 'succeeded', strategy: s, reason: 'verified' };
      const watch = latest(records, (r) => r.phase === 'watch' && r.strategy === s);
      if (!watch || watch.status === 'running' || watch.status === 'pending') return { kind: 'watch', strategy: s };
      if (watch.status === 'succeeded') return { kind: 'finish', status: 'succeeded', strategy: s, reason: 'verified; the watch saw nothing get worse' };
      // Ended early by a person's rollback of this execution: verified, and the person's undo comes next.
      if (watch.status === 'skipped') return { kind: 'finish', status: 'succeeded', strategy: s, reason: `verified; ${watch.output ?? 'the watch was ended early'}` };
      const why = `watch: ${watch.error ?? 'things got worse'}`;
      const undo = nextRollback(shape, s, records, why);
      if (undo) return undo;
      // An undo that changed nothing (recorded skipped) is not a rollback: the fix did not hold and nothing was undone.
      // Either way a person looks: the engine's fix made things worse, trying it again would too.
      const undone = records.some((r) => r.phase === 'rollback' && r.strategy === s && r.status === 'rolled_back');
      return undone
        ? { kind: 'finish', status: 'rolled_back', strategy: s, reason: why, needsPerson: true }
        : { kind: 'finish', status: 'failed', strategy: s, reason: `${why}; nothing to undo`, needsPerson: true };
    }
    // This strategy failed: undo what it did (unless a chain says stop), then try the next one.
    const undo = shape.onFailure === 'stop' ? null : nextRollback(shape, s, records, outcome.reason);
    if (undo) return undo;
    if (s === last) return { kind: 'finish', status: 'failed', strategy: s, reason: outcome.reason };
  }
  return { kind: 'finish', status: 'failed', strategy: 0, reason: 'runbook has no strategies' };
}

type Outcome =
  | { readonly kind: 'command'; readonly command: Command }
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly reason: string };

function strategyOutcome(shape: RunbookShape, s: number, records: readonly StepRecord[], elapsed: Elapsed): Outcome {
  const steps = shape.strategies[s]!.steps;
  const limit = shape.maxDurationMs ?? 0;
  const over = limit > 0 && elapsed.ms >= limit;
  const overReason = `max_duration ${limit} ms exceeded: the chain stopped`;
  let i = 0;
  next: while (i < steps.length) {
    const rec = latest(records, (r) => r.phase === 'step' && r.strategy === s && r.index === i);
    if (!rec || rec.status === 'pending') {
      if (over) return { kind: 'failed', reason: overReason };
      return { kind: 'command', command: { kind: 'run_step', strategy: s, index: i, retry: false } };
    }
    if (rec.status === 'running') {
      if (!steps[i]!.idempotent) return { kind: 'command', command: { kind: 'in_doubt', phase: 'step', strategy: s, index: i } };
      if (over) return { kind: 'failed', reason: overReason };
      return { kind: 'command', command: { kind: 'run_step', strategy: s, index: i, retry: true } };
    }
    if (rec.status === 'unknown') {
      return { kind: 'command', command: { kind: 'finish', status: 'failed', strategy: s, needsPerson: true, hold: true,
        reason: `step "${rec.name}" was left in doubt when the engine stopped and is not safe to repeat: a person must decide` } };
    }
    if (rec.status !== 'failed') {
      // succeeded, or skipped (by `when`): go on with the next step.
      i++;
      continue;
    }
    // A failure goes up through the runbooks it was called through until a level continues or skips:
    // continue goes on after that level; skip leaves out the rest of the sequence that level is in.
    const levels = [{ onFailure: steps[i]!.onFailure, end: i }, ...[...(steps[i]!.groups ?? [])].reverse()];
    for (let k = 0; k < levels.length; k++) {
      const level = levels[k]!;
      if (level.onFailure === 'continue') {
        i = level.end + 1;
        continue next;
      }
      if (level.onFailure === 'skip') {
        const parent = levels[k + 1];
        if (!parent) break next;
        i = parent.end + 1;
        continue next;
      }
    }
    return { kind: 'failed', reason: `step "${rec.name}" failed: ${rec.error ?? 'unknown error'}` };
  }
  const verify = latest(records, (r) => r.phase === 'verify' && r.strategy === s);
  if (!verify || verify.status === 'running' || verify.status === 'pending') {
    if (over) return { kind: 'failed', reason: overReason };
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
    if (!undo || undo.status === 'pending') return { kind: 'rollback_step', strategy: s, index: i, reason };
    // An undo that crashed half way is like a forward step that did: run again only when that is safe.
    if (undo.status === 'running') {
      return steps[i]!.undoIdempotent ? { kind: 'rollback_step', strategy: s, index: i, reason } : { kind: 'in_doubt', phase: 'rollback', strategy: s, index: i };
    }
    if (undo.status === 'unknown') {
      return { kind: 'finish', status: 'failed', strategy: s, needsPerson: true, hold: true,
        reason: `undo of "${fwd.name}" was left in doubt when the engine stopped and is not safe to repeat (after: ${reason}): a person must decide` };
    }
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
