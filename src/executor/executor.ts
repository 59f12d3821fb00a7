import { ActionError, toActionError } from '../core/errors.js';
import { TransitionError } from '../core/incident.js';
import type { Execution, ExecutionStatus, StepRecord } from '../core/records.js';
import { nextCommand, type Command } from '../core/runner.js';
import { redactSecrets, redactString } from '../core/redact.js';
import type { CompiledRunbook, CompiledStep } from '../runbooks/types.js';
import { checkStepResults, flatten, shapeOfFlat, type FlatStrategy, type Range, type Unit } from './chain.js';
import { renderParams } from '../runbooks/template.js';
import type { ActionContext, ActionOutcome, ActionPlugin } from '../actions/types.js';
import { attemptsOf, withRetries } from './attempt.js';
import type { ExecutionContext, ExecutorDeps } from './types.js';
import { templateVars } from './vars.js';
import { runVerify, runWatch, WatchEnd } from './verify.js';

export type Outcome = 'succeeded' | 'failed' | 'rolled_back';

export interface ExecutorHooks {
  /** Called when an execution reaches an outcome (a success, then maybe a rolled_back from the watch). */
  onOutcome(execution: Execution, outcome: Outcome, reason: string, ctx: ExecutionContext, needsPerson: boolean): Promise<void>;
}

interface Run {
  execution: Execution;
  readonly runbook: CompiledRunbook;
  readonly ctx: ExecutionContext;
  readonly records: StepRecord[];
  readonly abort: AbortController;
  /** The runbook's strategies with every runbook step expanded (./chain.ts). */
  flat: readonly FlatStrategy[];
}

/**
 * Runs executions from their persisted history: the pure runner (src/core/runner.ts)
 * decides the next command from the stored step records, this class carries it
 * out and records the result before asking again. Every step is written
 * before it starts and after it ends, so a crash leaves a record that says
 * exactly where it stopped.
 */
export class Executor {
  private readonly runs = new Map<string, Run>();
  /** Target → the watch running there, and the incident its fix is for (null for a person's run). */
  private readonly watches = new Map<string, { readonly ctrl: AbortController; readonly incidentId: string | null }>();
  private stopping = false;

  constructor(private readonly deps: ExecutorDeps, private readonly hooks: ExecutorHooks) {}

  /** Runs (or resumes) an execution to its end, including the watch. Never throws for a failed fix. */
  async run(execution: Execution, runbook: CompiledRunbook, ctx: ExecutionContext): Promise<Execution> {
    const run: Run = {
      execution,
      runbook,
      ctx,
      records: await this.deps.store.executions.steps(execution.id),
      abort: new AbortController(),
      flat: [],
    };
    this.runs.set(execution.id, run);
    try {
      run.flat = flatten(runbook, (name) => this.deps.runbooks?.().find((r) => r.name === name));
      await this.loop(run);
    } catch (err) {
      if (!this.stopping) {
        this.deps.log.error({ execution: execution.id, err }, 'executor failed');
        await this.finish(run, 'failed', `internal error: ${toActionError(err).message}`).catch(() => undefined);
      }
    } finally {
      this.runs.delete(execution.id);
    }
    return run.execution;
  }

  /**
   * A person's rollback of a finished execution: undoes the given forward
   * steps in the order given (newest first), each with its stored
   * rollbackState, recorded, announced and audited like the executor's own
   * undos. Stops at the first undo that fails. Returns the undo records.
   */
  async undo(execution: Execution, runbook: CompiledRunbook, ctx: ExecutionContext, steps: readonly { strategy: number; index: number }[], note: string): Promise<StepRecord[]> {
    const run: Run = {
      execution, runbook, ctx, records: await this.deps.store.executions.steps(execution.id), abort: new AbortController(),
      flat: flatten(runbook, (name) => this.deps.runbooks?.().find((r) => r.name === name)),
    };
    const before = new Set(run.records.map((r) => r.seq));
    this.runs.set(execution.id, run);
    try {
      for (const s of steps) {
        if (this.stopping) break;
        await this.rollbackStep(run, { kind: 'rollback_step', strategy: s.strategy, index: s.index, reason: note });
        if (run.records.at(-1)?.status === 'rollback_failed') break;
      }
    } finally {
      this.runs.delete(execution.id);
    }
    return run.records.filter((r) => !before.has(r.seq));
  }

  /**
   * A new problem on the target during the watch of the fix there: the fix is
   * failing (it is rolled back when it can be, and counts for the breaker).
   * The caller decides what is related (src/engine/engine.ts: any incident
   * on the target that is not silenced and not the fix's own).
   */
  failWatch(target: string, reason: string): void {
    this.watches.get(target)?.ctrl.abort(new WatchEnd('failing', reason));
  }

  /** A person rolls the execution back: its watch ends without a verdict, the person's undo follows. */
  endWatch(target: string, reason: string): void {
    this.watches.get(target)?.ctrl.abort(new WatchEnd('ended', reason));
  }

  /** The incident whose fix is being watched on this target, if any. */
  watchedIncident(target: string): string | null {
    return this.watches.get(target)?.incidentId ?? null;
  }

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  /** Stops carrying anything further out; the records stay as they are, for resuming. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const r of this.runs.values()) r.abort.abort();
    for (const w of this.watches.values()) w.ctrl.abort();
  }

  private async loop(run: Run): Promise<void> {
    const shape = shapeOfFlat(run.flat, run.runbook, this.deps.actions);
    // Resumed (after a restart or by a person) part way: the records say where it is; the
    // status machine needs it back in `running` before it verifies, undoes or finishes.
    if (run.execution.status === 'pending' && run.records.length > 0) await this.transition(run, 'running', {});
    for (;;) {
      if (this.stopping) return;
      const cmd = nextCommand(shape, run.records, { ms: this.elapsed(run) });
      switch (cmd.kind) {
        case 'run_step':
          await this.transition(run, 'running', { strategy: cmd.strategy });
          await this.runStep(run, cmd);
          break;
        case 'verify':
          await this.transition(run, 'verifying', { strategy: cmd.strategy });
          await this.verify(run, cmd.strategy);
          break;
        case 'rollback_step':
          await this.transition(run, 'rolling_back', {});
          await this.rollbackStep(run, cmd);
          break;
        case 'watch':
          // Verified, not yet a success: that takes a clean watch.
          await this.transition(run, 'watching', { strategy: cmd.strategy });
          await this.watch(run, cmd.strategy);
          break;
        case 'in_doubt': {
          const step = run.flat[cmd.strategy]?.units[cmd.index]?.step;
          await this.record(run, this.stepRecord(run, cmd.strategy, cmd.index, cmd.phase, cmd.phase === 'step'
            ? { status: 'unknown', error: 'the engine stopped while this step ran and it is not safe to run twice: a person must decide' }
            : { status: 'unknown', action: step?.rollback?.action ?? step?.action ?? 'rollback',
              error: 'the engine stopped while this undo ran and it is not safe to run twice: a person must decide' }));
          break;
        }
        case 'finish':
          if (cmd.hold) await this.hold(run, cmd.reason);
          else await this.finish(run, cmd.status, cmd.reason, cmd.needsPerson === true);
          return;
      }
    }
  }

  private async runStep(run: Run, cmd: Extract<Command, { kind: 'run_step' }>): Promise<void> {
    const unit = run.flat[cmd.strategy]!.units[cmd.index]!;
    // A called runbook's `when` decides for all of its steps at once, recorded last first so that
    // a crash half way leaves the first unrecorded and the whole decision is taken again.
    for (const g of unit.groups) {
      if (g.start !== cmd.index) continue;
      const why = this.whenFails(run, cmd.strategy, g.step, g.refs);
      if (why === null) continue;
      for (let i = g.end; i >= g.start; i--) {
        await this.record(run, this.stepRecord(run, cmd.strategy, i, 'step', { status: 'skipped', output: `when (${g.step.name}): ${why}` }));
      }
      return;
    }
    const why = this.whenFails(run, cmd.strategy, unit.step, unit.refs);
    if (why !== null) {
      await this.record(run, this.stepRecord(run, cmd.strategy, cmd.index, 'step', { status: 'skipped', output: `when: ${why}` }));
      return;
    }
    await this.invoke(run, cmd.strategy, cmd.index, 'step', unit.step.action, unit.step.params, unit, async (plugin, actx) => plugin.execute(actx));
  }

  /** Null when the step may run; otherwise why not. */
  private whenFails(run: Run, strategy: number, step: CompiledStep, refs: Readonly<Record<string, Range>>): string | null {
    const byResult = checkStepResults(step.whenSteps, refs, run.records, strategy);
    if (byResult !== null) return byResult;
    if (!step.when) return null;
    const ev = this.deps.evidence.evaluate(step.when, run.execution.target, 0, this.deps.clock.now());
    return ev.holds ? null : ev.explain;
  }

  private elapsed(run: Run): number {
    return run.execution.startedAt === null ? 0 : this.deps.clock.now() - run.execution.startedAt;
  }

  /** The time a step may take: its own timeout, within what is left of each runbook step it was called through and of the chain. */
  private stepTimeout(run: Run, strategy: number, unit: Unit, phase: 'step' | 'rollback'): number {
    let t = unit.step.timeoutMs;
    if (phase === 'rollback') return t;
    const now = this.deps.clock.now();
    for (const g of unit.groups) {
      if (g.step.timeoutMs <= 0) continue;
      const first = run.records.find((r) => r.phase === 'step' && r.strategy === strategy && r.index >= g.start && r.index <= g.end && r.startedAt !== null);
      const began = first?.startedAt ?? now;
      t = Math.min(t, g.step.timeoutMs - (now - began));
    }
    const limit = run.runbook.chain?.maxDurationMs ?? 0;
    if (limit > 0) t = Math.min(t, limit - this.elapsed(run));
    return Math.max(1, t);
  }

  /** Params for one unit: each runbook step it was called through renders its params for the next level down. */
  private paramsFor(run: Run, unit: Unit): Record<string, unknown> {
    const target = run.execution.target;
    let params: Readonly<Record<string, unknown>> = run.ctx.params;
    for (const g of unit.groups) {
      const vars = templateVars(target, this.deps.targets[target], run.ctx.incident, params);
      params = renderParams(g.step.params, vars, g.owner.inputs);
    }
    return { ...params };
  }

  /** A step's outcome is unknown: nothing more happens until a person resumes or abandons the execution. */
  private async hold(run: Run, reason: string): Promise<void> {
    await this.transition(run, 'held', { error: redactString(reason) });
    await this.deps.audit('execution', run.execution.id, 'held', { runbook: run.runbook.name, target: run.execution.target, reason });
    this.deps.events.emit('execution:finished', { execution: run.execution, outcome: 'failed', reason: redactString(reason), needsPerson: true });
    await this.hooks.onOutcome(run.execution, 'failed', reason, run.ctx, true);
  }

  private async rollbackStep(run: Run, cmd: Extract<Command, { kind: 'rollback_step' }>): Promise<void> {
    const unit = run.flat[cmd.strategy]!.units[cmd.index]!;
    const step = unit.step;
    const fwd = [...run.records].reverse().find((r) => r.phase === 'step' && r.strategy === cmd.strategy && r.index === cmd.index);
    const action = step.rollback?.action ?? step.action;
    const params = step.rollback?.params ?? step.params;
    await this.invoke(run, cmd.strategy, cmd.index, 'rollback', action, params, unit, async (plugin, actx) => {
      if (step.rollback) return plugin.execute(actx);
      if (!plugin.rollback) throw new ActionError('failed', `${action} cannot undo itself`);
      return plugin.rollback(actx, fwd?.rollbackState);
    }, `undo (${cmd.reason})`);
  }

  /** One action call: render, validate, record running, run with timeout and retries, record the outcome. */
  private async invoke(
    run: Run, strategy: number, index: number, phase: 'step' | 'rollback', actionName: string,
    rawParams: Readonly<Record<string, unknown>>, unit: Unit,
    call: (plugin: ActionPlugin, ctx: ActionContext<unknown>) => Promise<ActionOutcome>,
    note?: string,
  ): Promise<void> {
    const { clock, store: _store } = this.deps;
    const target = run.execution.target;
    const plugin = this.deps.actions.get(actionName);
    let params: Record<string, unknown> = {};
    const base = this.stepRecord(run, strategy, index, phase, { action: actionName });
    // The failure record needs it too: `base` has no start, and the time of failure is not one.
    const startedAt = clock.now();
    try {
      if (!plugin) throw new ActionError('not_found', `unknown action ${actionName}`);
      const vars = templateVars(target, this.deps.targets[target], run.ctx.incident, this.paramsFor(run, unit));
      params = renderParams(rawParams, vars, unit.owner.inputs) as Record<string, unknown>;
      const parsed = plugin.schema.safeParse(params);
      if (!parsed.success) {
        throw new ActionError('invalid_params', `${actionName}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`);
      }
      const started = { ...base, params: redactSecrets(params) as Record<string, unknown>, status: 'running' as const, startedAt };
      await this.record(run, started);
      this.deps.events.emit('step:started', { execution: run.execution, step: started });
      const hands = plugin.mutates ? this.deps.evidence.handsOn(target, clock.now()) : null;
      const { value, attempts } = await withRetries(clock, {
        timeoutMs: this.stepTimeout(run, strategy, unit, phase), retries: phase === 'step' ? unit.step.retries : 0, backoff: unit.step.backoff, signal: run.abort.signal,
      }, (signal) => call(plugin, this.actionContext(run, parsed.data, signal))).finally(() => hands?.done(clock.now(), run.runbook.settleMs));
      if (this.stopping) return;
      if (plugin.mutates) this.deps.evidence.resetTarget(target, clock.now());
      // An undo that changed nothing says so: skipped, never "rolled back" (src/core/runner.ts reads it).
      const status = phase === 'step' ? 'succeeded' : value.undone === false ? 'skipped' : 'rolled_back';
      const done: StepRecord = {
        ...started, status, attempts, finishedAt: clock.now(),
        output: redactString([note, value.summary, value.output].filter(Boolean).join('\n')),
        rollbackState: value.rollbackState ?? null,
      };
      await this.record(run, done);
      this.deps.events.emit('step:finished', { execution: run.execution, step: done });
      await this.deps.audit(phase, run.execution.id, done.status, { step: done.name, action: actionName, target, params: done.params, summary: value.summary, attempts });
    } catch (err) {
      if (this.stopping) return;
      const e = toActionError(err);
      const failed: StepRecord = {
        ...base, params: redactSecrets(params) as Record<string, unknown>,
        status: phase === 'rollback' ? 'rollback_failed' : 'failed', attempts: attemptsOf(err),
        startedAt, finishedAt: clock.now(), error: redactString(`${e.code}: ${e.message}`), output: note ?? null,
      };
      await this.record(run, failed);
      this.deps.events.emit('step:finished', { execution: run.execution, step: failed });
      await this.deps.audit(phase, run.execution.id, failed.status, { step: failed.name, action: actionName, target, error: failed.error });
    }
  }

  private async verify(run: Run, strategy: number): Promise<void> {
    const rec = this.stepRecord(run, strategy, -1, 'verify', { action: 'verify', name: 'verify', status: 'running', startedAt: this.deps.clock.now() });
    await this.record(run, rec);
    const result = await runVerify(this.deps, run.runbook, run.execution.target, run.ctx.incident, run.abort.signal);
    if (this.stopping) return;
    const done: StepRecord = { ...rec, status: result.ok ? 'succeeded' : 'failed', finishedAt: this.deps.clock.now(),
      output: result.explain, error: result.ok ? null : result.explain };
    await this.record(run, done);
    this.deps.events.emit('step:finished', { execution: run.execution, step: done });
    await this.deps.audit('verify', run.execution.id, done.status, { strategy: run.runbook.strategies[strategy]!.name, explain: result.explain });
  }

  private async watch(run: Run, strategy: number): Promise<void> {
    const target = run.execution.target;
    const ctrl = new AbortController();
    this.watches.get(target)?.ctrl.abort(new WatchEnd('ended', 'another watch on the target took over'));
    const watch = { ctrl, incidentId: run.ctx.incident?.id ?? null };
    this.watches.set(target, watch);
    const rec = this.stepRecord(run, strategy, -1, 'watch', { action: 'watch', name: 'watch', status: 'running', startedAt: this.deps.clock.now() });
    await this.record(run, rec);
    const result = await runWatch(this.deps, run.runbook.watch, run.execution, run.ctx.incident, AbortSignal.any([ctrl.signal, run.abort.signal]));
    if (this.watches.get(target) === watch) this.watches.delete(target);
    if (this.stopping) return;
    const status = result.kind === 'worse' ? 'failed' : result.kind === 'ended' ? 'skipped' : 'succeeded';
    await this.record(run, { ...rec, status, finishedAt: this.deps.clock.now(), output: result.explain, error: status === 'failed' ? result.explain : null });
    if (status === 'failed') await this.deps.audit('watch', run.execution.id, 'worse', { explain: result.explain });
  }

  private async finish(run: Run, outcome: 'succeeded' | 'failed' | 'rolled_back', reason: string, needsPerson = false): Promise<void> {
    const now = this.deps.clock.now();
    if (outcome === 'rolled_back' && run.execution.status !== 'rolling_back') await this.transition(run, 'rolling_back', {});
    await this.transition(run, outcome, { finishedAt: now, error: outcome === 'succeeded' ? null : redactString(reason) });
    await this.deps.audit('execution', run.execution.id, outcome, { runbook: run.runbook.name, target: run.execution.target, reason });
    this.deps.events.emit('execution:finished', { execution: run.execution, outcome, reason: redactString(reason), needsPerson });
    await this.hooks.onOutcome(run.execution, outcome, reason, run.ctx, needsPerson);
  }

  private async transition(run: Run, to: ExecutionStatus, patch: Partial<Execution>): Promise<void> {
    const from = run.execution.status;
    if (from === to && Object.keys(patch).every((k) => run.execution[k as keyof Execution] === patch[k as keyof Execution])) return;
    const startedAt = run.execution.startedAt ?? (to === 'running' ? this.deps.clock.now() : null);
    const moved = await this.deps.store.executions.move(run.execution, to, { ...patch, startedAt });
    if (!moved) throw new TransitionError(`execution ${run.execution.id} changed meanwhile: it is no longer ${from}`);
    run.execution = moved;
    if (from !== to) this.deps.events.emit('execution:transition', { execution: run.execution, from });
  }

  private async record(run: Run, rec: StepRecord): Promise<void> {
    const i = run.records.findIndex((r) => r.seq === rec.seq);
    if (i >= 0) run.records[i] = rec;
    else run.records.push(rec);
    await this.deps.store.executions.putStep(rec);
  }

  private stepRecord(run: Run, strategy: number, index: number, phase: StepRecord['phase'], patch: Partial<StepRecord>): StepRecord {
    const unit = index >= 0 ? run.flat[strategy]?.units[index] : undefined;
    return {
      executionId: run.execution.id,
      seq: run.records.reduce((m, r) => Math.max(m, r.seq + 1), 0),
      strategy, index, phase,
      name: phase === 'rollback' ? `undo: ${unit?.name ?? ''}` : unit?.name ?? phase,
      action: unit?.step.action ?? phase,
      params: {}, status: 'pending', attempts: 0, startedAt: null, finishedAt: null, output: null, error: null, rollbackState: null,
      ...patch,
    };
  }

  private actionContext(run: Run, params: unknown, signal: AbortSignal): ActionContext<unknown> {
    const i = run.ctx.incident;
    return {
      params,
      targetName: run.execution.target,
      target: this.deps.targets[run.execution.target],
      incident: i ? { id: i.id, rule: i.rule, severity: i.severity, labels: i.labels } : null,
      executionId: run.execution.id,
      clock: this.deps.clock,
      signal,
      log: this.deps.log.child({ execution: run.execution.id }),
      supervisor: this.deps.supervisor,
      notifier: this.deps.notifier,
    };
  }
}
