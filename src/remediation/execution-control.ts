import type { Clock } from '../core/clock.js';
import type { Execution, StepRecord } from '../core/records.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Store } from '../store/types.js';
import type { EventBus } from '../core/events.js';
import type { Incidents } from '../incidents/incidents.js';
import { ApprovalError } from './remediator.js';

export interface ExecutionControlDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly incidents: Incidents;
  readonly runbooks: () => readonly CompiledRunbook[];
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
  /** Hands a resumed execution back to the executor (the remediator claims its target and runs it). */
  readonly start: (execution: Execution, runbook: CompiledRunbook) => void;
  /** The remediator's one-execution-per-target bookkeeping, which counts held executions too. */
  readonly targets: HeldTargets;
}

export interface HeldTargets {
  /** Takes the target for the execution a person resumes; why not (another execution runs there), or null. */
  claimHeld(execution: Execution): string | null;
  /** The resume fell through: the execution is held again. */
  unclaimHeld(execution: Execution): void;
  /** An abandoned execution no longer holds its target. */
  dropHeld(execution: Execution): void;
}

/**
 * A person's decision about an execution held after a crash (a step that was
 * not safe to repeat was running when the engine died, so its outcome is
 * unknown):
 *
 *   held ──resume──► pending ──► running …   the step (or undo) in doubt is run again, or (--assume-done) taken as done
 *   held ──abandon─► failed                  nothing more runs; the person has dealt with the target
 *
 * Both are recorded with who and why; the step records keep the whole story.
 */
export class ExecutionControl {
  constructor(private readonly deps: ExecutionControlDeps) {}

  async resume(id: string, actor: string, opts: { assumeDone: boolean; comment: string | null }): Promise<Execution> {
    const execution = await this.held(id);
    const runbook = this.deps.runbooks().find((r) => r.name === execution.runbook);
    if (!runbook) throw new ApprovalError('conflict', `runbook ${execution.runbook} is no longer loaded: abandon the execution instead`);
    // A resume beside another execution on the same half-done target would be two fixes at once.
    const busy = this.deps.targets.claimHeld(execution);
    if (busy !== null) throw new ApprovalError('conflict', `cannot resume ${id}: ${busy}`);
    let doubt: StepRecord | undefined;
    try {
      doubt = await this.decideDoubt(execution, actor, opts);
    } catch (err) {
      this.deps.targets.unclaimHeld(execution);
      throw err;
    }
    const resumed: Execution = { ...execution, status: 'pending', error: null };
    try {
      this.deps.events.emit('execution:transition', { execution: resumed, from: 'held' });
      await this.deps.audit('execution', id, 'resumed_by_person', {
        runbook: execution.runbook, target: execution.target, step: doubt?.name ?? null, stepInDoubt: opts.assumeDone ? 'taken as done' : 'run again', comment: opts.comment,
      }, actor);
      const incident = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) : undefined;
      if (incident && incident.status === 'escalated') {
        await this.deps.incidents.move(incident, 'remediating', `execution ${id} resumed by ${actor}`, { execution: id });
      }
    } finally {
      // The store says pending and the target is claimed for it: it runs, whatever happened to the bookkeeping.
      this.deps.start(resumed, runbook);
    }
    return resumed;
  }

  /** Records the person's decision about the step (or undo) in doubt and moves the execution from held to pending. */
  private async decideDoubt(execution: Execution, actor: string, opts: { assumeDone: boolean; comment: string | null }): Promise<StepRecord | undefined> {
    const id = execution.id;
    const steps = await this.deps.store.executions.steps(id);
    const doubt = latestUnknown(steps);
    const now = this.deps.clock.now();
    if (doubt) {
      // A new record for the step, after the unknown one: the runner folds the latest.
      const seq = steps.reduce((m, r) => Math.max(m, r.seq + 1), 0);
      const by = `${actor}${opts.comment ? `: ${opts.comment}` : ''}`;
      const decided: StepRecord = opts.assumeDone
        ? { ...doubt, seq, status: doubt.phase === 'rollback' ? 'rolled_back' : 'succeeded', finishedAt: now, error: null, output: `taken as done by ${by}` }
        : { ...doubt, seq, status: 'pending', startedAt: null, finishedAt: null, error: null, output: `to be run again, decided by ${by}` };
      await this.deps.store.executions.putStep(decided);
    }
    if (!(await this.deps.store.executions.move(execution, 'pending', { error: null }))) {
      throw new ApprovalError('conflict', `execution ${id} was decided meanwhile`);
    }
    return doubt;
  }

  async abandon(id: string, actor: string, reason: string): Promise<Execution> {
    const execution = await this.held(id);
    const now = this.deps.clock.now();
    const error = `abandoned by ${actor}: ${reason}`;
    const abandoned = await this.deps.store.executions.move(execution, 'failed', { finishedAt: now, error });
    if (!abandoned) throw new ApprovalError('conflict', `execution ${id} was decided meanwhile`);
    this.deps.targets.dropHeld(abandoned);
    this.deps.events.emit('execution:transition', { execution: abandoned, from: 'held' });
    await this.deps.audit('execution', id, 'abandoned', { runbook: execution.runbook, target: execution.target, reason }, actor);
    return abandoned;
  }

  private async held(id: string): Promise<Execution> {
    const execution = await this.deps.store.executions.get(id);
    if (!execution) throw new ApprovalError('not_found', `no execution ${id}`);
    if (execution.status !== 'held') throw new ApprovalError('conflict', `execution ${id} is ${execution.status}, not held for a person`);
    return execution;
  }
}

/** The step, or the undo, left in doubt: the latest record of each is the one the runner folds. */
function latestUnknown(steps: readonly StepRecord[]): StepRecord | undefined {
  const last = new Map<string, StepRecord>();
  for (const s of steps) if (s.phase === 'step' || s.phase === 'rollback') last.set(`${s.phase}:${s.strategy}:${s.index}`, s);
  return [...last.values()].find((s) => s.status === 'unknown');
}
