import { describe, expect, it } from 'vitest';
import type { StepPhase, StepRecord, StepStatus } from '../../src/core/records.js';
import { nextCommand, type Command, type RunbookShape, type StepShape } from '../../src/core/runner.js';

const step = (over: Partial<StepShape> = {}): StepShape => ({ action: 'exec', onFailure: 'abort', canRollback: true, idempotent: true, undoIdempotent: true, ...over });
const shape = (strategies: StepShape[][], watch = false): RunbookShape => ({ strategies: strategies.map((steps) => ({ steps })), watch });

/**
 * The store's view of an execution, written the way the executor writes it:
 * a successful undo is `rolled_back`, a failed one `rollback_failed`; verify
 * and watch records carry index -1.
 */
class History {
  readonly records: StepRecord[] = [];

  add(phase: StepPhase, strategy: number, index: number, status: StepStatus, error: string | null = null): this {
    const name = phase === 'step' || phase === 'rollback' ? `s${strategy}.${index}` : phase;
    this.records.push({
      executionId: 'ex-1', seq: this.records.length + 1, strategy, index, phase, name, action: 'exec', params: {},
      status, attempts: 1, startedAt: null, finishedAt: null, output: null, error, rollbackState: null,
    });
    return this;
  }

  step(s: number, i: number, status: StepStatus = 'succeeded', error: string | null = null): this {
    return this.add('step', s, i, status, error);
  }

  undo(s: number, i: number, status: StepStatus = 'rolled_back'): this {
    return this.add('rollback', s, i, status);
  }

  verify(s: number, status: StepStatus = 'succeeded', error: string | null = null): this {
    return this.add('verify', s, -1, status, error);
  }

  watch(s: number, status: StepStatus = 'succeeded', error: string | null = null): this {
    return this.add('watch', s, -1, status, error);
  }

  next(sh: RunbookShape): Command {
    return nextCommand(sh, this.records);
  }
}

const h = () => new History();

describe('nextCommand: forward', () => {
  const two = shape([[step(), step()]]);

  it('runs the first step of the first strategy on an empty history', () => {
    expect(h().next(two)).toEqual({ kind: 'run_step', strategy: 0, index: 0, retry: false });
  });

  it('runs the next step after one succeeded', () => {
    expect(h().step(0, 0).next(two)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });

  it('runs a step whose record is still pending, as a first try', () => {
    expect(h().step(0, 0).step(0, 1, 'pending').next(two)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });

  it('verifies after the last step', () => {
    expect(h().step(0, 0).step(0, 1).next(two)).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('verifies at once for a strategy without steps', () => {
    expect(h().next(shape([[]]))).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('verifies again when the verify was interrupted', () => {
    expect(h().step(0, 0).step(0, 1).verify(0, 'running').next(two)).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('finishes as succeeded once verified, without a watch', () => {
    expect(h().step(0, 0).step(0, 1).verify(0).next(two)).toEqual({ kind: 'finish', status: 'succeeded', strategy: 0, reason: 'verified' });
  });

  it('fails a runbook that has no strategies', () => {
    expect(h().next(shape([]))).toEqual({ kind: 'finish', status: 'failed', strategy: 0, reason: 'runbook has no strategies' });
  });

  it('goes on past a step skipped by its `when`', () => {
    expect(h().step(0, 0, 'skipped').next(two)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });

  it('reads the record with the highest seq, not the last in the list', () => {
    const hist = h().step(0, 0, 'running').step(0, 0, 'succeeded');
    const reordered = [hist.records[1]!, hist.records[0]!];
    expect(nextCommand(two, reordered)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });
});

describe('nextCommand: onFailure', () => {
  it('goes on to the next step after a failure with continue', () => {
    const sh = shape([[step({ onFailure: 'continue' }), step()]]);
    expect(h().step(0, 0, 'failed', 'boom').next(sh)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });

  it('leaves out the remaining steps after a failure with skip and lets verify decide', () => {
    const sh = shape([[step(), step({ onFailure: 'skip' }), step(), step()]]);
    expect(h().step(0, 0).step(0, 1, 'failed', 'boom').next(sh)).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('finishes as succeeded when verify passes after a skip', () => {
    const sh = shape([[step({ onFailure: 'skip' }), step()]]);
    expect(h().step(0, 0, 'failed').verify(0).next(sh)).toEqual({ kind: 'finish', status: 'succeeded', strategy: 0, reason: 'verified' });
  });

  it('after a skip and a failed verify, undoes only the steps that ran, then tries the next strategy', () => {
    const sh = shape([[step(), step({ onFailure: 'skip' }), step()], [step()]]);
    const hist = h().step(0, 0).step(0, 1, 'failed').verify(0, 'failed', 'still down');
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 0, reason: 'verify failed: still down' });
    expect(hist.undo(0, 0).next(sh)).toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });

  it('does not treat a step skipped by its `when` like onFailure skip', () => {
    const sh = shape([[step({ onFailure: 'skip' }), step()]]);
    expect(h().step(0, 0, 'skipped').next(sh)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: false });
  });

  it('verifies after a last step that failed with continue', () => {
    const sh = shape([[step(), step({ onFailure: 'continue' })]]);
    expect(h().step(0, 0).step(0, 1, 'failed').next(sh)).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('on abort, undoes the completed steps last first, then tries the next strategy', () => {
    const sh = shape([[step(), step(), step()], [step()]]);
    const hist = h().step(0, 0).step(0, 1).step(0, 2, 'failed', 'exit 1');
    const reason = 'step "s0.2" failed: exit 1';
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 1, reason });
    expect(hist.undo(0, 1).next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 0, reason });
    expect(hist.undo(0, 0).next(sh)).toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });

  it('does not run the steps after an aborting failure', () => {
    const sh = shape([[step({ canRollback: false }), step({ canRollback: false }), step()]]);
    expect(h().step(0, 0, 'failed', 'x').next(sh)).toEqual({ kind: 'finish', status: 'failed', strategy: 0, reason: 'step "s0.0" failed: x' });
  });

  it('does not undo the step that failed', () => {
    const sh = shape([[step(), step()], [step()]]);
    expect(h().step(0, 0).step(0, 1, 'failed').next(sh)).toMatchObject({ kind: 'rollback_step', strategy: 0, index: 0 });
  });

  it('does not undo steps that cannot be rolled back', () => {
    const sh = shape([[step(), step({ canRollback: false }), step()], [step()]]);
    const hist = h().step(0, 0).step(0, 1).step(0, 2, 'failed');
    expect(hist.next(sh)).toMatchObject({ kind: 'rollback_step', strategy: 0, index: 0 });
    expect(hist.undo(0, 0).next(sh)).toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });

  it('does not undo a step that failed with continue', () => {
    const sh = shape([[step({ onFailure: 'continue' }), step()], [step()]]);
    expect(h().step(0, 0, 'failed').step(0, 1, 'failed').next(sh)).toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });

  it('says "unknown error" when a failed step has no error text', () => {
    expect(h().step(0, 0, 'failed').next(shape([[step()]]))).toMatchObject({ reason: 'step "s0.0" failed: unknown error' });
  });
});

describe('nextCommand: verify', () => {
  const sh = shape([[step(), step()], [step({ canRollback: false })]]);

  it('undoes the strategy after a failed verify, last step first, with the verify as reason', () => {
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed', 'errors still 40%');
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 1, reason: 'verify failed: errors still 40%' });
    expect(hist.undo(0, 1).next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 0, reason: 'verify failed: errors still 40%' });
  });

  it('tries the next strategy once the failed one is undone', () => {
    expect(h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1).undo(0, 0).next(sh))
      .toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });

  it('finishes as failed when the last strategy fails its verify too', () => {
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1).undo(0, 0).step(1, 0).verify(1, 'failed');
    expect(hist.next(sh)).toEqual({ kind: 'finish', status: 'failed', strategy: 1, reason: 'verify failed: the problem still holds' });
  });

  it('undoes the last strategy too before finishing as failed', () => {
    const one = shape([[step()]]);
    const hist = h().step(0, 0).verify(0, 'failed', 'still down');
    expect(hist.next(one)).toEqual({ kind: 'rollback_step', strategy: 0, index: 0, reason: 'verify failed: still down' });
    expect(hist.undo(0, 0).next(one)).toEqual({ kind: 'finish', status: 'failed', strategy: 0, reason: 'verify failed: still down' });
  });

  it('succeeds with the second strategy after the first was undone', () => {
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1).undo(0, 0).step(1, 0).verify(1);
    expect(hist.next(sh)).toEqual({ kind: 'finish', status: 'succeeded', strategy: 1, reason: 'verified' });
  });
});

describe('nextCommand: watch', () => {
  const sh = shape([[step()], [step(), step({ canRollback: false }), step()]], true);
  const won = () => h().step(0, 0, 'failed', 'x').step(1, 0).step(1, 1).step(1, 2).verify(1);

  it('watches after a verified success', () => {
    expect(won().next(sh)).toEqual({ kind: 'watch', strategy: 1 });
  });

  it('watches again when the watch was interrupted', () => {
    expect(won().watch(1, 'running').next(sh)).toEqual({ kind: 'watch', strategy: 1 });
  });

  it('finishes as succeeded when the watch saw nothing get worse', () => {
    expect(won().watch(1).next(sh)).toEqual({
      kind: 'finish', status: 'succeeded', strategy: 1, reason: 'verified; the watch saw nothing get worse',
    });
  });

  it('finishes as succeeded when a person ended the watch to roll it back themselves', () => {
    expect(won().watch(1, 'skipped').next(sh)).toMatchObject({ kind: 'finish', status: 'succeeded', strategy: 1 });
  });

  it('rolls the winning strategy back, last step first, when the watch saw it get worse', () => {
    const hist = won().watch(1, 'failed', 'error rate doubled');
    const reason = 'watch: error rate doubled';
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 1, index: 2, reason });
    // Step 1 cannot be undone: straight on to step 0.
    expect(hist.undo(1, 2).next(sh)).toEqual({ kind: 'rollback_step', strategy: 1, index: 0, reason });
    // A fix that made things worse goes to a person, even when undone.
    expect(hist.undo(1, 0).next(sh)).toEqual({ kind: 'finish', status: 'rolled_back', strategy: 1, reason, needsPerson: true });
  });

  it('finishes failed, not rolled_back, when every undo changed nothing (recorded skipped)', () => {
    const hist = won().watch(1, 'failed', 'error rate doubled').undo(1, 2, 'skipped').undo(1, 0, 'skipped');
    expect(hist.next(sh)).toEqual({
      kind: 'finish', status: 'failed', strategy: 1, reason: 'watch: error rate doubled; nothing to undo', needsPerson: true,
    });
  });

  it('has a default reason for a failed watch without error text', () => {
    expect(won().watch(1, 'failed').next(sh)).toMatchObject({ kind: 'rollback_step', reason: 'watch: things got worse' });
  });
});

describe('nextCommand: resuming after a crash', () => {
  it('re-runs an idempotent step that was left running, marked as a retry', () => {
    const sh = shape([[step(), step({ idempotent: true })]]);
    expect(h().step(0, 0).step(0, 1, 'running').next(sh)).toEqual({ kind: 'run_step', strategy: 0, index: 1, retry: true });
  });

  it('puts a non-idempotent step that was left running in doubt', () => {
    const sh = shape([[step(), step({ idempotent: false })]]);
    expect(h().step(0, 0).step(0, 1, 'running').next(sh)).toEqual({ kind: 'in_doubt', phase: 'step', strategy: 0, index: 1 });
  });

  it('stops for a person when a step was left in doubt: no undo, no next strategy', () => {
    const sh = shape([[step(), step({ idempotent: false })], [step()]]);
    const hist = h().step(0, 0).step(0, 1, 'running').step(0, 1, 'unknown');
    expect(hist.next(sh)).toEqual({
      kind: 'finish', status: 'failed', strategy: 0, needsPerson: true, hold: true,
      reason: 'step "s0.1" was left in doubt when the engine stopped and is not safe to repeat: a person must decide',
    });
  });

  it('asks for a person with the in-doubt reason when it was the last strategy too', () => {
    const sh = shape([[step({ idempotent: false })]]);
    expect(h().step(0, 0, 'unknown').next(sh)).toMatchObject({ kind: 'finish', status: 'failed', needsPerson: true });
  });

  it('treats even a step with onFailure continue as a failure when it was left in doubt', () => {
    const sh = shape([[step({ onFailure: 'continue', idempotent: false }), step()]]);
    expect(h().step(0, 0, 'unknown').next(sh)).toMatchObject({ kind: 'finish', status: 'failed' });
  });

  it('re-runs a rollback that was left running', () => {
    const sh = shape([[step(), step()], [step()]]);
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1).undo(0, 0, 'running');
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 0, reason: 'verify failed: the problem still holds' });
  });

  it('runs a rollback whose record is still pending', () => {
    const sh = shape([[step()], [step()]]);
    expect(h().step(0, 0).verify(0, 'failed').undo(0, 0, 'pending').next(sh)).toMatchObject({ kind: 'rollback_step', strategy: 0, index: 0 });
  });

  it('re-runs a left-running undo whose action is idempotent, even when the step itself is not', () => {
    const sh = shape([[step({ idempotent: false, undoIdempotent: true })], [step()]]);
    expect(h().step(0, 0).verify(0, 'failed').undo(0, 0, 'running').next(sh)).toMatchObject({ kind: 'rollback_step', index: 0 });
  });
});

describe('nextCommand: an undo left in doubt by a crash', () => {
  const undoNotSafe = step({ undoIdempotent: false });

  it('does not run a left-running undo again when its action is not idempotent: the undo is in doubt', () => {
    const sh = shape([[step(), undoNotSafe], [step()]]);
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1, 'running');
    expect(hist.next(sh)).toEqual({ kind: 'in_doubt', phase: 'rollback', strategy: 0, index: 1 });
  });

  it('holds the execution for a person once the undo is unknown, and tries no further strategy', () => {
    const sh = shape([[step(), undoNotSafe], [step()]]);
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1, 'running').undo(0, 1, 'unknown');
    expect(hist.next(sh)).toEqual({
      kind: 'finish', status: 'failed', strategy: 0, needsPerson: true, hold: true,
      reason: 'undo of "s0.1" was left in doubt when the engine stopped and is not safe to repeat (after: verify failed: the problem still holds): a person must decide',
    });
  });

  it('holds an undo the watch started, too', () => {
    const sh = shape([[undoNotSafe]], true);
    const hist = h().step(0, 0).verify(0).watch(0, 'failed', 'worse').undo(0, 0, 'running');
    expect(hist.next(sh)).toEqual({ kind: 'in_doubt', phase: 'rollback', strategy: 0, index: 0 });
    expect(hist.undo(0, 0, 'unknown').next(sh)).toMatchObject({ kind: 'finish', status: 'failed', hold: true, needsPerson: true });
  });

  it('runs the undo again after a person resumes it (a pending record after the unknown one)', () => {
    const sh = shape([[step(), undoNotSafe], [step()]]);
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1, 'running').undo(0, 1, 'unknown').undo(0, 1, 'pending');
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 1, reason: 'verify failed: the problem still holds' });
  });

  it('goes on with the next undo and the next strategy when a person takes the undo as done', () => {
    const sh = shape([[step(), undoNotSafe], [step()]]);
    const hist = h().step(0, 0).step(0, 1).verify(0, 'failed').undo(0, 1, 'running').undo(0, 1, 'unknown').undo(0, 1, 'rolled_back');
    expect(hist.next(sh)).toMatchObject({ kind: 'rollback_step', strategy: 0, index: 0 });
    expect(hist.undo(0, 0).next(sh)).toEqual({ kind: 'run_step', strategy: 1, index: 0, retry: false });
  });
});

describe('nextCommand: folded to the end', () => {
  /**
   * Plays the executor: applies each command to the history with the outcome
   * the script gives, and returns the commands in order.
   */
  function play(sh: RunbookShape, outcome: (c: Command) => StepStatus): Command[] {
    const hist = h();
    const seen: Command[] = [];
    for (let i = 0; i < 50; i++) {
      const c = hist.next(sh);
      seen.push(c);
      switch (c.kind) {
        case 'run_step': hist.step(c.strategy, c.index, outcome(c), 'boom'); break;
        case 'rollback_step': hist.undo(c.strategy, c.index, outcome(c)); break;
        case 'verify': hist.verify(c.strategy, outcome(c), 'still bad'); break;
        case 'watch': hist.watch(c.strategy, outcome(c), 'worse'); break;
        case 'in_doubt': hist.add(c.phase, c.strategy, c.index, 'unknown'); break;
        case 'finish': return seen;
      }
    }
    throw new Error('did not finish in 50 commands');
  }
  const brief = (c: Command): string =>
    c.kind === 'finish' ? `finish ${c.status}` : 'index' in c ? `${c.kind} ${c.strategy}.${c.index}` : `${c.kind} ${c.strategy}`;

  it('walks two strategies: abort, undo, next strategy, verify, watch worse, undo, rolled back', () => {
    const sh = shape([[step(), step()], [step(), step({ canRollback: false })]], true);
    const cmds = play(sh, (c) => (c.kind === 'run_step' && c.strategy === 0 && c.index === 1) || c.kind === 'watch' ? 'failed'
      : c.kind === 'rollback_step' ? 'rolled_back' : 'succeeded');
    expect(cmds.map(brief)).toEqual([
      'run_step 0.0', 'run_step 0.1', 'rollback_step 0.0',
      'run_step 1.0', 'run_step 1.1', 'verify 1', 'watch 1', 'rollback_step 1.0',
      'finish rolled_back',
    ]);
  });

  it('walks every strategy to a final failure when no verify passes', () => {
    const sh = shape([[step()], [step()], [step()]]);
    const cmds = play(sh, (c) => (c.kind === 'verify' ? 'failed' : c.kind === 'rollback_step' ? 'rolled_back' : 'succeeded'));
    expect(cmds.map(brief)).toEqual([
      'run_step 0.0', 'verify 0', 'rollback_step 0.0',
      'run_step 1.0', 'verify 1', 'rollback_step 1.0',
      'run_step 2.0', 'verify 2', 'rollback_step 2.0',
      'finish failed',
    ]);
  });
});

describe('nextCommand: failed rollbacks', () => {
  it('does not go on to the next strategy after an undo failed (the target is in an unknown state)', () => {
    const sh = shape([[step()], [step()]]);
    const hist = h().step(0, 0).verify(0, 'failed').undo(0, 0, 'rollback_failed');
    expect(hist.next(sh)).toMatchObject({ kind: 'finish', status: 'failed', strategy: 0 });
  });

  it('does not report rolled_back after the watch when the undo failed', () => {
    const sh = shape([[step()]], true);
    const hist = h().step(0, 0).verify(0).watch(0, 'failed', 'worse').undo(0, 0, 'rollback_failed');
    expect(hist.next(sh)).toMatchObject({ kind: 'finish', status: 'failed' });
  });
});

describe('nextCommand: a watch that finds it worse with nothing to undo', () => {
  it('finishes failed, not rolled_back, and says there was nothing to undo', () => {
    const sh = shape([[step({ canRollback: false })]], true);
    const hist = h().step(0, 0).verify(0).watch(0, 'failed', 'http_up failed 5 times in a row after the fix');
    expect(hist.next(sh)).toEqual({
      kind: 'finish', status: 'failed', strategy: 0, reason: 'watch: http_up failed 5 times in a row after the fix; nothing to undo',
      needsPerson: true,
    });
  });
});

describe('nextCommand: chains', () => {
  // Steps 1..2 came from a called runbook (one group); 0 and 3 are the chain's own.
  const grouped = (groupOnFailure: 'abort' | 'skip' | 'continue', inner: Partial<StepShape> = {}): StepShape[] => {
    const g = [{ start: 1, end: 2, onFailure: groupOnFailure }];
    return [step(), step({ groups: g, ...inner }), step({ groups: g }), step()];
  };

  it('ends a called runbook at its failing step and goes on after it when the calling step says continue', () => {
    const sh = shape([grouped('continue')]);
    expect(h().step(0, 0).step(0, 1, 'failed').next(sh)).toEqual({ kind: 'run_step', strategy: 0, index: 3, retry: false });
  });

  it('lets a step inside a called runbook continue within it', () => {
    const sh = shape([grouped('abort', { onFailure: 'continue' })]);
    expect(h().step(0, 0).step(0, 1, 'failed').next(sh)).toEqual({ kind: 'run_step', strategy: 0, index: 2, retry: false });
  });

  it('skips the rest of the chain (to verify) when the calling step says skip', () => {
    const sh = shape([grouped('skip')]);
    expect(h().step(0, 0).step(0, 1, 'failed').next(sh)).toEqual({ kind: 'verify', strategy: 0 });
  });

  it('undoes the whole chain, last first, when a called runbook fails and the chain rolls back', () => {
    const sh = shape([grouped('abort')]);
    const hist = h().step(0, 0).step(0, 1).step(0, 2, 'failed', 'boom');
    expect(hist.next(sh)).toEqual({ kind: 'rollback_step', strategy: 0, index: 1, reason: 'step "s0.2" failed: boom' });
    expect(hist.undo(0, 1).next(sh)).toMatchObject({ kind: 'rollback_step', index: 0 });
  });

  it('undoes nothing when the chain stops on failure', () => {
    const sh: RunbookShape = { ...shape([grouped('abort')]), onFailure: 'stop' };
    expect(h().step(0, 0).step(0, 1).step(0, 2, 'failed', 'boom').next(sh)).toEqual({ kind: 'finish', status: 'failed', strategy: 0, reason: 'step "s0.2" failed: boom' });
  });

  it('starts no further step once max_duration has passed, and rolls back what ran', () => {
    const sh: RunbookShape = { ...shape([[step(), step()]]), maxDurationMs: 1_000 };
    expect(nextCommand(sh, h().step(0, 0).records, { ms: 999 })).toMatchObject({ kind: 'run_step', index: 1 });
    expect(nextCommand(sh, h().step(0, 0).records, { ms: 1_000 })).toEqual({
      kind: 'rollback_step', strategy: 0, index: 0, reason: 'max_duration 1000 ms exceeded: the chain stopped',
    });
  });

  it('does not re-run an idempotent step left running once max_duration has passed', () => {
    const sh: RunbookShape = { ...shape([[step({ canRollback: false })]]), maxDurationMs: 1_000 };
    expect(nextCommand(sh, h().step(0, 0, 'running').records, { ms: 5_000 })).toMatchObject({ kind: 'finish', status: 'failed' });
  });
});
