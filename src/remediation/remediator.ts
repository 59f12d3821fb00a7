import type { Logger } from 'pino';
import type { BreakerState } from '../core/breaker.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { BUSY_EXECUTION_STATUSES } from '../core/execution.js';
import { flapLimit, type FlapLimit } from '../core/flap.js';
import { pruneHits, type Hit } from '../core/limits.js';
import { decide, type PolicySettings, type Verdict } from '../core/policy.js';
import type { Execution, Incident } from '../core/records.js';
import type { Severity } from '../core/severity.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import { REPLICA_LABEL } from '../core/fingerprint.js';
import type { Executor, Outcome } from '../executor/executor.js';
import type { ExecutionContext } from '../executor/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Store } from '../store/types.js';
import { OperationError } from '../core/operation-error.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../drivers/ids.js';
import type { Incidents } from '../incidents/incidents.js';
import { Breakers } from './breakers.js';
import { buildPlan, replicaOf } from './plan.js';
import { policyBasis, selectRunbook } from './select.js';
import { ShadowLedger } from './shadow.js';

export interface RemediatorDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventBus;
  readonly incidents: Incidents;
  readonly executor: Executor;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly policy: () => PolicySettings & { breakerFailures: number; flap: FlapLimit; fourEyes?: Readonly<Record<Severity, boolean>> };
  readonly runbooks: () => readonly CompiledRunbook[];
  readonly rules: () => ReadonlyMap<string, CompiledRule>;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
  readonly baseline: (target: string) => Record<string, number>;
  /** How long an approval may wait, per severity: the same source ApprovalDeadlines expires by. */
  readonly approvalTimeoutMs?: () => Readonly<Record<Severity, number>>;
  /** The id of the silence that holds a silenced incident, for the reason a person reads. */
  readonly silencedBy?: (incident: Incident) => string | null;
}

/** An approve/reject that cannot be done; an OperationError, so the API maps it like every other. */
export class ApprovalError extends OperationError {
  override readonly name = 'ApprovalError';
  constructor(code: 'not_found' | 'conflict' | 'forbidden', message: string) {
    super(code, message);
  }
}

const HOUR = 3_600_000;

/**
 * From an incident to an execution: choose the runbook, build the plan, ask
 * the policy, and act on its verdict. Also owns what the policy reads
 * (rate-limit hits, running executions per target, circuit breakers) and
 * what an outcome changes (breakers, the incident's state).
 */
export class Remediator {
  private hits: Hit[] = [];
  private readonly busy = new Map<string, Set<string>>();
  /**
   * Executions held for a person, by target. A held execution left its target
   * half done (a step's outcome is unknown): nothing else starts there until a
   * person resumes or abandons it. Not in `busy`, since nothing runs.
   */
  private readonly held = new Map<string, Set<string>>();
  private readonly breakers: Breakers;
  /** Targets with a decision in flight: the check and the claim happen in one synchronous stretch. */
  private readonly deciding = new Set<string>();
  /** The last "not now" reason per incident, so a repeated deferral is not re-recorded every second. */
  private readonly lastDeferral = new Map<string, string>();
  private readonly tasks = new Set<Promise<unknown>>();
  /**
   * Escalated incidents the engine may decide about again by itself: those held
   * back by the kill switch or an open circuit. A rejection or a missing runbook
   * waits for a person; asking again every second would overrule them.
   */
  private readonly retryable = new Set<string>();
  private readonly shadows = new ShadowLedger(() => this.deps);

  constructor(private readonly deps: RemediatorDeps) {
    this.breakers = new Breakers({ ...deps, threshold: () => deps.policy().breakerFailures });
  }

  async load(): Promise<void> {
    const now = this.deps.clock.now();
    await this.breakers.load();
    // Held before the restart: still waiting for a person, still holding their targets (resumeInterrupted leaves them be).
    const held = await this.deps.store.executions.list({ status: ['held'], limit: 10_000, order: 'asc' });
    for (const e of held.items) this.markHeld(e);
    // The fixes started within the longest window anyone counts (rate limits, the restart-loop guard) survive a restart.
    const recent = await this.deps.store.executions.list({ since: now - this.hitsKeptMs(), limit: 10_000, order: 'asc' });
    for (const e of recent.items) {
      if (['dry_run', 'shadowed', 'rejected', 'awaiting_approval', 'cancelled'].includes(e.status)) continue;
      const automatic = e.requestedBy === 'engine' || e.requestedBy.startsWith('schedule:');
      this.hits.push({ at: e.startedAt ?? e.createdAt, target: e.target, runbook: e.runbook, automatic, replica: replicaOf(e) });
    }
  }

  /**
   * Executions the engine was carrying out when it stopped: the runner folds
   * their stored steps and goes on from the last outcome it knows. A step that
   * was running and is not safe to repeat becomes `unknown`, for a person.
   */
  async resumeInterrupted(): Promise<void> {
    const page = await this.deps.store.executions.list({ status: [...BUSY_EXECUTION_STATUSES], limit: 10_000, order: 'asc' });
    for (const execution of page.items) {
      const runbook = this.deps.runbooks().find((r) => r.name === execution.runbook);
      const incident = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) ?? null : null;
      if (!runbook) {
        const now = this.deps.clock.now();
        const error = `runbook ${execution.runbook} is no longer loaded; the engine restarted during this execution`;
        if (!(await this.deps.store.executions.move(execution, 'failed', { finishedAt: now, error }))) continue;
        await this.deps.audit('execution', execution.id, 'failed', { reason: 'runbook no longer loaded after restart' });
        if (incident) {
          await this.deps.incidents.move(incident, 'escalated', `execution ${execution.id} was interrupted and its runbook is gone: a person must look`,
            { execution: execution.id, needsPerson: true });
        }
        continue;
      }
      this.claim(execution, false, false);
      await this.deps.audit('execution', execution.id, 'resumed', { runbook: execution.runbook, target: execution.target, status: execution.status });
      this.start(execution, runbook, { incident, params: {} });
    }
  }

  /**
   * A person is about to resume a held execution: its target passes from held
   * to busy with it, unless another execution runs there or a decision about
   * it is in flight. Returns why not, or null. Undo with `unclaimHeld`.
   */
  claimHeld(execution: Execution): string | null {
    const target = execution.target;
    if (this.deciding.has(target)) return `a decision about ${target} is in progress; try again`;
    const other = [...(this.busy.get(target) ?? [])].find((id) => id !== execution.id);
    if (other) return `target ${target} is busy: execution ${other} is running; resume when it ends`;
    this.held.get(target)?.delete(execution.id);
    this.claim(execution, false, false);
    return null;
  }

  /** The resume did not happen: the execution is still held, and still holds its target. */
  unclaimHeld(execution: Execution): void {
    this.release(execution);
    this.markHeld(execution);
  }

  /** A person abandoned a held execution: it no longer holds its target. */
  dropHeld(execution: Execution): void {
    this.held.get(execution.target)?.delete(execution.id);
  }

  /** A held execution a person resumed (./execution-control.ts): claim its target and run it from its records. */
  resumeHeld(execution: Execution, runbook: CompiledRunbook): void {
    this.held.get(execution.target)?.delete(execution.id);
    const incident = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) ?? null : null;
    this.claim(execution, false, false);
    this.start(execution, runbook, { incident, params: {} });
  }

  /** May the engine decide about this incident again without a person? */
  mayReconsider(incident: Incident): boolean {
    return incident.status === 'open' || (incident.status === 'escalated' && this.retryable.has(incident.id));
  }

  breakerList(): BreakerState[] {
    return this.breakers.list();
  }

  /** A person closes a breaker (open or counting failures): automatic runs for its runbook and target may start again. */
  resetBreaker(key: string, actor: string): Promise<BreakerState> {
    return this.breakers.reset(key, actor);
  }

  /** Waits for executions started from here to end (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Decide what to do about an open incident, and do it. */
  async consider(incident: Incident, trigger: 'auto' | 'manual' = 'auto', actor = 'engine'): Promise<Verdict | null> {
    if (incident.status !== 'open' && incident.status !== 'escalated') return null;
    if (this.deciding.has(incident.target)) return null;
    const rule = this.deps.rules().get(incident.rule);
    const runbook = selectRunbook(this.deps.runbooks(), incident, rule, this.deps.targets[incident.target]);
    if (!runbook) {
      const reason = `no runbook fixes ${incident.rule} on ${incident.target}: a person must act`;
      if (this.lastDeferral.get(incident.id) !== reason) {
        this.lastDeferral.set(incident.id, reason);
        const moved = await this.deps.incidents.move(incident, 'escalated', reason);
        this.deps.events.emit('decision', { incident: moved, runbook: '', target: incident.target, verdict: { kind: 'refuse', reason } });
      }
      return { kind: 'refuse', reason };
    }
    return this.decideAndAct(incident, runbook, { trigger, actor, dryRun: false, params: {} });
  }

  /**
   * A person asks for a runbook on a target, with or without an incident. A
   * schedule asks the same way with trigger 'auto': nobody is watching, so the
   * breaker, cooldown and rate limits hold it like any automatic run.
   */
  async requestManual(
    runbook: CompiledRunbook, target: string,
    opts: { actor: string; dryRun: boolean; severity: Severity; incident: Incident | null; reason: string; trigger?: 'auto' | 'manual' },
  ): Promise<{ verdict: Verdict; execution: Execution | null }> {
    const incident = opts.incident;
    let created: Execution | null = null;
    const off = this.deps.events.on('execution:created', (e) => { if (e.execution.runbook === runbook.name && e.execution.target === target) created = e.execution; });
    try {
      const verdict = await this.decideAndAct(incident, runbook, { trigger: opts.trigger ?? 'manual', actor: opts.actor, dryRun: opts.dryRun, params: {}, target, severity: opts.severity, reason: opts.reason });
      return { verdict: verdict ?? { kind: 'defer', reason: 'a decision for this target is already in progress', retryAt: null }, execution: created };
    } finally {
      off();
    }
  }

  private async decideAndAct(
    incident: Incident | null, runbook: CompiledRunbook,
    req: { trigger: 'auto' | 'manual'; actor: string; dryRun: boolean; params: Record<string, unknown>; target?: string; severity?: Severity; reason?: string },
  ): Promise<Verdict | null> {
    const target = incident?.target ?? req.target!;
    const severity = incident?.severity ?? req.severity ?? 'P3';
    if (this.deciding.has(target)) return null;
    this.deciding.add(target);
    try {
      // The incident may have been resolved (or moved) while this decision waited its turn.
      if (incident) {
        const current = this.deps.incidents.byId(incident.id);
        if (!current || (current.status !== 'open' && current.status !== 'escalated')) return null;
        incident = current;
      }
      if (req.trigger === 'auto' && !req.dryRun) await this.guardFlap(runbook, target, severity);
      const verdict = this.verdict(incident, runbook, target, severity, req.trigger, req.dryRun);
      await this.act(incident, runbook, target, severity, verdict, req);
      return verdict;
    } finally {
      this.deciding.delete(target);
    }
  }

  /** What the policy says now about running this runbook on this target; decides nothing, changes nothing but pruning old hits. */
  verdict(incident: Incident | null, runbook: CompiledRunbook, target: string, severity: Severity, trigger: 'auto' | 'manual', dryRun: boolean): Verdict {
    const now = this.deps.clock.now();
    this.hits = pruneHits(this.hits, now, this.hitsKeptMs());
    const world = { runbooks: this.deps.runbooks(), rules: (n: string) => this.deps.rules().get(n), targets: this.deps.targets };
    const basis = policyBasis(world, { rule: incident?.rule ?? null, target, severity, labels: incident?.labels }, runbook);
    return decide(this.deps.policy(), {
      ...basis.input, now, trigger, dryRun, replica: incident?.labels[REPLICA_LABEL] ?? null,
      silencedBy: incident?.silenced ? 'a silence' : null,
      breaker: this.breakers.get(runbook.name, target) ?? null,
      hits: this.hits,
      heldOnTarget: [...(this.held.get(target) ?? [])],
      runningOnTarget: [...(this.busy.get(target) ?? [])],
      runningTotal: [...this.busy.values()].reduce((n, s) => n + s.size, 0),
    });
  }

  /**
   * Holds a target for work outside an execution run (a person's rollback):
   * false when anything holds or decides about it. Release with `unhold`.
   */
  hold(target: string, id: string): boolean {
    if (this.isBusy(target)) return false;
    let set = this.busy.get(target);
    if (!set) this.busy.set(target, (set = new Set()));
    set.add(id);
    return true;
  }

  unhold(target: string, id: string): void {
    this.busy.get(target)?.delete(id);
  }

  private async act(
    incident: Incident | null, runbook: CompiledRunbook, target: string, severity: Severity, verdict: Verdict,
    req: { trigger: 'auto' | 'manual'; actor: string; dryRun: boolean; params: Record<string, unknown>; reason?: string },
  ): Promise<void> {
    const ctx: ExecutionContext = { incident, params: req.params };
    if (verdict.kind === 'defer' || verdict.kind === 'refuse' || verdict.kind === 'silenced') {
      const key = incident?.id ?? `${runbook.name}@${target}`;
      if (this.lastDeferral.get(key) === verdict.reason) return;
      this.lastDeferral.set(key, verdict.reason);
      this.deps.events.emit('decision', { incident, runbook: runbook.name, target, verdict });
      await this.deps.audit('decision', incident?.id ?? target, verdict.kind, { runbook: runbook.name, target, reason: verdict.reason }, req.actor);
      if (incident) {
        await this.deps.incidents.note(incident, 'decided', `${runbook.name}: ${verdict.reason}`, { verdict: verdict.kind });
        if (verdict.kind === 'refuse') {
          this.retryable.add(incident.id);
          await this.deps.incidents.move(incident, 'escalated', verdict.reason);
        }
      }
      return;
    }
    if (incident) {
      this.lastDeferral.delete(incident.id);
      this.retryable.delete(incident.id);
    }
    if (verdict.kind === 'shadow' && incident && (await this.shadows.again(incident))) return;
    const now = this.deps.clock.now();
    const plan = buildPlan(runbook, target, this.deps.targets[target], incident, req.params, verdict.reason, this.deps.baseline(target));
    const status: Execution['status'] = verdict.kind === 'run' ? 'pending'
      : verdict.kind === 'approval' ? 'awaiting_approval' : verdict.kind === 'dry_run' ? 'dry_run' : 'shadowed';
    const execution: Execution = {
      id: newId('exe', this.deps.clock), incidentId: incident?.id ?? null, runbook: runbook.name, target, severity, status,
      strategy: 0, reason: verdict.reason, requestedBy: req.actor, approvedBy: null, dryRun: verdict.kind === 'dry_run',
      createdAt: now, startedAt: null, finishedAt: status === 'dry_run' || status === 'shadowed' ? now : null, error: null, plan,
    };
    if (status === 'pending') this.claim(execution, req.trigger === 'auto');
    try {
      await this.deps.store.executions.insert(execution);
    } catch (err) {
      this.release(execution);
      throw err;
    }
    this.deps.events.emit('decision', { incident, runbook: runbook.name, target, verdict });
    this.deps.events.emit('execution:created', { execution });
    await this.deps.audit('decision', execution.id, verdict.kind, { runbook: runbook.name, target, incident: incident?.id ?? null, reason: verdict.reason, requestedFor: req.reason ?? null }, req.actor);
    if (incident) await this.deps.incidents.note(incident, 'decided', `${runbook.name}: ${verdict.reason}`, { execution: execution.id, verdict: verdict.kind });

    if (verdict.kind === 'approval') {
      if (incident) await this.deps.incidents.move(incident, 'awaiting_approval', verdict.reason, { execution: execution.id });
      this.deps.events.emit('approval:requested', { execution, reason: verdict.reason });
      return;
    }
    if (verdict.kind === 'shadow' && incident) this.shadows.remember(incident.id, execution);
    if (verdict.kind !== 'run') return;
    if (incident) await this.deps.incidents.move(incident, 'remediating', verdict.reason, { execution: execution.id });
    this.start(execution, runbook, ctx);
  }

  async approve(executionId: string, actor: string, comment: string | null, allowSelf = false): Promise<Execution> {
    const execution = await this.awaiting(executionId);
    // The deadline loop may not have run yet: a late yes must not run what is already past its deadline.
    const timeout = this.deps.approvalTimeoutMs?.()[execution.severity];
    if (timeout !== undefined && this.deps.clock.now() >= execution.createdAt + timeout) {
      throw new ApprovalError('conflict', `approval expired at ${new Date(execution.createdAt + timeout).toISOString()}: ask for a new execution`);
    }
    const waitingFor = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) : undefined;
    if (waitingFor?.silenced) {
      throw new ApprovalError('conflict', `silenced by ${this.deps.silencedBy?.(waitingFor) ?? 'a silence'}: a maintenance window holds this target; expire it first`);
    }
    // Four eyes per severity (policy.four_eyes): on by default for every severity.
    const fourEyes = this.deps.policy().fourEyes?.[execution.severity] ?? true;
    if (!allowSelf && fourEyes && actor === execution.requestedBy && actor !== 'engine') {
      throw new ApprovalError('forbidden', `four eyes: ${actor} asked for this execution and cannot approve it (${execution.severity})`);
    }
    const runbook = this.deps.runbooks().find((r) => r.name === execution.runbook);
    if (!runbook) throw new ApprovalError('conflict', `runbook ${execution.runbook} is no longer loaded`);
    const target = execution.target;
    // The approval is one decision about the target: nothing else decides about it meanwhile.
    if (this.deciding.has(target)) throw new ApprovalError('conflict', `a decision about ${target} is in progress; try again`);
    this.deciding.add(target);
    try {
      // A person's yes replaces the approval step, not the rest of the policy.
      const policy = this.deps.policy();
      const breaker = this.breakers.get(execution.runbook, target);
      if (policy.mode === 'shadow') throw new ApprovalError('conflict', 'shadow mode: nothing runs, approved or not');
      if (breaker?.state === 'open') {
        throw new ApprovalError('conflict', `circuit ${breaker.key} is open after ${breaker.failures.length} failures; reset it before approving`);
      }
      const held = this.held.get(target)?.values().next().value;
      if (held) throw new ApprovalError('conflict', `target ${target} is held: execution ${held} waits for a person (medic executions resume|abandon); approve when it is decided`);
      if ((this.busy.get(target)?.size ?? 0) > 0) throw new ApprovalError('conflict', `target ${target} is busy with another execution; approve again when it ends`);
      const running = [...this.busy.values()].reduce((n, set) => n + set.size, 0);
      if (running >= policy.maxConcurrent) throw new ApprovalError('conflict', `concurrency cap: ${running}/${policy.maxConcurrent} executions running; approve again later`);
      const approved = await this.deps.store.executions.move(execution, 'pending', { approvedBy: actor });
      if (!approved) throw new ApprovalError('conflict', `execution ${execution.id} was decided meanwhile`);
      this.claim(approved, false);
      this.deps.events.emit('execution:transition', { execution: approved, from: 'awaiting_approval' });
      await this.deps.audit('approval', execution.id, 'approved', { runbook: execution.runbook, target, comment }, actor);
      const incident = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) ?? null : null;
      if (incident) await this.deps.incidents.move(incident, 'remediating', `approved by ${actor}${comment ? `: ${comment}` : ''}`, { execution: execution.id });
      this.start(approved, runbook, { incident, params: {} });
      return approved;
    } finally {
      this.deciding.delete(target);
    }
  }

  async reject(executionId: string, actor: string, reason: string): Promise<Execution> {
    const execution = await this.awaiting(executionId);
    const now = this.deps.clock.now();
    const error = `rejected by ${actor}: ${reason}`;
    const rejected = await this.deps.store.executions.move(execution, 'rejected', { finishedAt: now, error });
    if (!rejected) throw new ApprovalError('conflict', `execution ${execution.id} was decided meanwhile`);
    this.deps.events.emit('execution:transition', { execution: rejected, from: execution.status });
    await this.deps.audit('approval', execution.id, 'rejected', { runbook: execution.runbook, target: execution.target, reason }, actor);
    const incident = execution.incidentId ? this.deps.incidents.byId(execution.incidentId) : undefined;
    // Escalated and held: the engine does not ask again while the problem lasts; a person decides what next.
    if (incident) await this.deps.incidents.move(incident, 'escalated', error, { execution: execution.id });
    return rejected;
  }

  /** Withdraw waiting approvals of an incident whose problem went away by itself. */
  async withdrawApprovals(incident: Incident, why: string): Promise<void> {
    const waiting = await this.deps.store.executions.list({ incidentId: incident.id, status: ['awaiting_approval'] });
    for (const e of waiting.items) {
      const now = this.deps.clock.now();
      const withdrawn = await this.deps.store.executions.move(e, 'cancelled', { finishedAt: now, error: `withdrawn: ${why}` });
      if (!withdrawn) continue;
      this.deps.events.emit('execution:transition', { execution: withdrawn, from: e.status });
      await this.deps.audit('approval', e.id, 'withdrawn', { why });
    }
  }

  private async awaiting(id: string): Promise<Execution> {
    const execution = await this.deps.store.executions.get(id);
    if (!execution) throw new ApprovalError('not_found', `no execution ${id}`);
    if (execution.status !== 'awaiting_approval') throw new ApprovalError('conflict', `execution ${id} is ${execution.status}, not awaiting approval`);
    return execution;
  }

  private claim(execution: Execution, automatic: boolean, countHit = true): void {
    let set = this.busy.get(execution.target);
    if (!set) this.busy.set(execution.target, (set = new Set()));
    set.add(execution.id);
    if (countHit) this.hits.push({ at: this.deps.clock.now(), target: execution.target, runbook: execution.runbook, automatic, replica: replicaOf(execution) });
  }

  private markHeld(execution: Execution): void {
    let set = this.held.get(execution.target);
    if (!set) this.held.set(execution.target, (set = new Set()));
    set.add(execution.id);
  }

  private release(execution: Execution): void {
    this.busy.get(execution.target)?.delete(execution.id);
  }

  /** Runs the execution from its stored status and records (a resumed one goes on where it stopped). */
  private start(execution: Execution, runbook: CompiledRunbook, ctx: ExecutionContext): void {
    const task = this.deps.executor.run(execution, runbook, ctx)
      .catch((err) => this.deps.log.error({ err: errorMessage(err), execution: execution.id }, 'execution crashed'))
      .finally(() => {
        this.release(execution);
        this.tasks.delete(task);
      });
    this.tasks.add(task);
  }

  /**
   * Executor hook: an execution reached an outcome (src/core/runner.ts:
   * `succeeded` only after a clean watch). It counts for the breaker, and
   * moves the incident: resolved by a success; to a person when nothing more
   * should be tried (a held step, a failed undo, a watch that found the fix
   * worse); else back to open for the detector and the policy.
   * The notifications come from the events (src/notify/bridge.ts).
   */
  async onOutcome(execution: Execution, outcome: Outcome, reason: string, ctx: ExecutionContext, needsPerson = false): Promise<void> {
    // Held: the target stays taken, without a pause between the run's claim and the hold's.
    if (execution.status === 'held') this.markHeld(execution);
    if (!BUSY_EXECUTION_STATUSES.includes(execution.status)) this.release(execution);
    await this.breakers.record(execution, outcome);
    const now = this.deps.clock.now();
    const incident = ctx.incident ? this.deps.incidents.byId(ctx.incident.id) : undefined;
    const data = { execution: execution.id };
    if (outcome === 'succeeded') {
      if (incident) {
        await this.deps.incidents.move(incident, 'resolved', `fixed by ${execution.runbook} (${reason}); time to recover ${now - incident.openedAt} ms`,
          { ...data, ttrMs: now - incident.openedAt });
      }
      return;
    }
    if (incident && needsPerson) {
      await this.deps.incidents.move(incident, 'escalated', `${execution.runbook} ${outcome}: ${reason}`, { ...data, needsPerson: true });
    } else if (incident) {
      // The problem may still hold: the incident goes back to open, and the detector and policy decide what comes next.
      await this.deps.incidents.move(incident, 'open', `${execution.runbook} ${outcome}: ${reason}`, data);
      this.lastDeferral.delete(incident.id);
    } else if (ctx.incident) {
      // The incident had ended meanwhile (resolved): the fix did not hold, a person should look.
      await this.deps.incidents.reopen(ctx.incident, `${execution.runbook} ${outcome} after the fix: ${reason}; a person should look`, data);
    }
  }

  /** The restart-loop guard (src/core/flap.ts) for an automatic decision: may open the circuit before the policy reads it. */
  private async guardFlap(runbook: CompiledRunbook, target: string, severity: Severity): Promise<void> {
    const fixes = this.hits.filter((h) => h.runbook === runbook.name && h.target === target).map((h) => h.at);
    await this.breakers.guardFlap(runbook.name, target, severity, fixes, flapLimit(this.deps.policy().flap, runbook.flap));
  }

  /** How far back fix starts are kept: the rate limits' hour, or a longer restart-loop window. */
  private hitsKeptMs(): number {
    const policy = this.deps.policy().flap;
    return Math.max(HOUR, policy.withinMs, ...this.deps.runbooks().map((r) => flapLimit(policy, r.flap).withinMs));
  }

  isDeciding(target: string): boolean {
    return this.deciding.has(target);
  }

  /** Anything running, held or being decided on the target. */
  isBusy(target: string): boolean {
    return (this.busy.get(target)?.size ?? 0) > 0 || (this.held.get(target)?.size ?? 0) > 0 || this.deciding.has(target);
  }
}
