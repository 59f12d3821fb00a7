import type { Logger } from 'pino';
import { redactSecrets } from '../core/redact.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Verdict } from '../core/policy.js';
import type { Execution, Incident } from '../core/records.js';
import { isSeverity, moreSevere, type Severity } from '../core/severity.js';
import type { CompiledRule, PolicyConfig, TargetConfig } from '../config/types.js';
import type { ActionPlugin } from '../actions/types.js';
import type { NotifierPort } from '../core/notification.js';
import { flatten, type FlatStrategy } from '../executor/chain.js';
import type { Executor } from '../executor/executor.js';
import { templateVars } from '../executor/vars.js';
import type { CompiledActionStep, CompiledRunbook } from '../runbooks/types.js';
import { renderParams } from '../runbooks/template.js';
import type { Store } from '../store/types.js';
import type { SupervisorPort } from '../supervisor/types.js';
import { OperationError } from '../core/operation-error.js';
import type { EventBus } from '../core/events.js';
import type { Incidents } from '../incidents/incidents.js';
import { buildPlan } from './plan.js';
import type { Remediator } from './remediator.js';
import { matchesTarget, selectRunbook } from './select.js';

export interface OperationsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventBus;
  readonly incidents: Incidents;
  readonly remediator: Remediator;
  readonly executor: Executor;
  readonly actions: ReadonlyMap<string, ActionPlugin>;
  readonly supervisor: SupervisorPort;
  readonly notifier: NotifierPort;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly policy: PolicyConfig;
  readonly runbooks: () => readonly CompiledRunbook[];
  readonly rules: () => ReadonlyMap<string, CompiledRule>;
  readonly baseline: (target: string) => Record<string, number>;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

export type PlanRequest = { readonly incidentId: string } | { readonly runbook: string; readonly target: string; readonly severity?: Severity };

export interface StepPreview {
  readonly strategy: string;
  readonly name: string;
  readonly action: string;
  readonly params: unknown;
  readonly rollback: string | null;
  /** The action plugin's own plan(): what it would do, found without changing anything. */
  readonly dryRun: { readonly summary: string; readonly details?: unknown } | { readonly error: string };
}

export interface PlanPreview {
  readonly runbook: string;
  readonly description: string;
  readonly target: string;
  readonly incidentId: string | null;
  readonly severity: Severity;
  readonly verdict: { readonly kind: Verdict['kind']; readonly reason: string };
  readonly risk: string;
  readonly impact: string;
  readonly rollbackPlan: string;
  readonly steps: StepPreview[];
  /** One line per step: "strategy/step: summary". */
  readonly dryRun: string[];
  readonly plan: Record<string, unknown>;
}

export type ManualRequest = {
  readonly runbook: string; readonly target: string; readonly reason: string; readonly dryRun: boolean;
  readonly incidentId?: string; readonly severity?: Severity;
};

export type ApprovalView = Execution & { readonly deadline: number | null; readonly needsApprovalBecause: string };

const PLAN_TIMEOUT_MS = 10_000;
const WATCH_END_WAIT_MS = 5_000;

/**
 * What a person asks of the engine about executions: a plan without acting,
 * a manual run, the waiting approvals, and the rollback of a finished fix.
 * Role checks are the API's business; the policy's are here.
 */
export class Operations {
  constructor(private readonly deps: OperationsDeps) {}

  async previewPlan(req: PlanRequest, actor: string): Promise<PlanPreview> {
    const { incident, runbook, target, severity } = await this.resolve(req);
    const verdict = this.deps.remediator.verdict(incident, runbook, target, severity, 'manual', false);
    const plan = buildPlan(runbook, target, this.deps.targets[target], incident, {}, verdict.reason, this.deps.baseline(target));
    const steps: StepPreview[] = [];
    // A chain's steps are the actions of the runbooks it calls: the same flat list the executor runs.
    for (const strategy of this.flat(runbook)) {
      for (const unit of strategy.units) {
        steps.push({
          strategy: strategy.name, name: unit.name, action: unit.step.action, rollback: unit.step.rollback?.action ?? null,
          ...(await this.planStep(unit.owner, unit.step, target, incident)),
        });
      }
    }
    this.deps.log.debug({ actor, runbook: runbook.name, target }, 'plan previewed');
    return {
      runbook: runbook.name, description: runbook.description, target, incidentId: incident?.id ?? null, severity,
      verdict: { kind: verdict.kind, reason: verdict.reason }, risk: runbook.risk, impact: runbook.impact, rollbackPlan: runbook.rollbackPlan,
      steps, dryRun: steps.map((s) => `${s.strategy}/${s.name}: ${'summary' in s.dryRun ? s.dryRun.summary : `cannot plan: ${s.dryRun.error}`}`), plan,
    };
  }

  async runManual(req: ManualRequest, actor: string): Promise<{ verdict: Verdict; execution: Execution | null }> {
    if (typeof req.reason !== 'string' || req.reason.trim() === '') throw bad('reason', 'say why this runs: it goes into the audit log');
    if (typeof req.dryRun !== 'boolean') throw bad('dryRun', 'must be true or false');
    const { incident, runbook, target, severity } = await this.resolve(req.incidentId !== undefined ? { ...req, incidentId: req.incidentId } : req);
    if (incident && incident.status !== 'open' && incident.status !== 'escalated') {
      throw new OperationError('conflict', `incident ${incident.id} is ${incident.status}: the engine is already on it or it is over`);
    }
    // A manual run must not overtake the same runbook waiting for a person's approval on this target.
    const waiting = await this.deps.store.executions.list({ status: ['awaiting_approval'], runbook: runbook.name, target, limit: 1 });
    const held = waiting.items[0];
    if (held) {
      throw new OperationError('conflict', `execution ${held.id} (${runbook.name} on ${target}, ${held.severity}) is awaiting approval: approve or reject it instead of running past it`);
    }
    return this.deps.remediator.requestManual(runbook, target, { actor, dryRun: req.dryRun, severity, incident, reason: req.reason });
  }

  async approvals(): Promise<ApprovalView[]> {
    const page = await this.deps.store.executions.list({ status: ['awaiting_approval'], order: 'asc' });
    return page.items.map((e) => {
      const timeout = approvalTimeouts(this.deps.policy)[e.severity];
      return { ...e, deadline: timeout === null ? null : e.createdAt + timeout, needsApprovalBecause: e.reason };
    });
  }

  /**
   * Undoes a succeeded execution's completed steps, newest first, with each
   * step's stored rollbackState. Conflict when it is not a finished success,
   * when nothing it did can be undone, or when the target is busy.
   */
  async rollbackExecution(id: string, actor: string, reason: string): Promise<Execution> {
    if (typeof reason !== 'string' || reason.trim() === '') throw bad('reason', 'say why this is rolled back: it goes into the audit log');
    const execution = await this.deps.store.executions.get(id);
    if (!execution) throw new OperationError('not_found', `no execution ${id}`);
    if (execution.status !== 'succeeded' && execution.status !== 'watching') {
      throw new OperationError('conflict', `execution ${id} is ${execution.status}: only a verified or succeeded execution can be rolled back`);
    }
    const runbook = this.deps.runbooks().find((r) => r.name === execution.runbook);
    if (!runbook) throw new OperationError('conflict', `runbook ${execution.runbook} is no longer loaded: its undo steps are unknown`);
    const records = await this.deps.store.executions.steps(id);
    const undone = new Set(records.filter((r) => r.phase === 'rollback' && r.status === 'rolled_back').map((r) => `${r.strategy}/${r.index}`));
    const done = records
      .filter((r) => r.phase === 'step' && r.status === 'succeeded' && r.strategy === execution.strategy && !undone.has(`${r.strategy}/${r.index}`))
      .sort((a, b) => b.seq - a.seq);
    const flat = this.flat(runbook);
    const undoable = done.filter((r) => {
      const step = flat[r.strategy]?.units[r.index]?.step;
      return step && (step.rollback !== null || typeof this.deps.actions.get(step.action)?.rollback === 'function');
    });
    if (undoable.length === 0) {
      const what = done.length === 0 ? 'it has no completed step' : `none of its steps can be undone (${done.map((r) => r.action).join(', ')})`;
      throw new OperationError('conflict', `nothing to undo in execution ${id}: ${what}`);
    }
    const verified = await this.endWatch(execution, actor);
    const holdId = `rollback:${id}`;
    if (!this.deps.remediator.hold(execution.target, holdId)) {
      throw new OperationError('conflict', `target ${execution.target} is busy with another execution or decision; roll back when it ends`);
    }
    try {
      let current = await this.deps.store.executions.move(verified, 'rolling_back');
      if (!current) throw new OperationError('conflict', `execution ${id} changed meanwhile`);
      this.deps.events.emit('execution:transition', { execution: current, from: 'succeeded' });
      await this.deps.audit('rollback', id, 'requested', { runbook: execution.runbook, target: execution.target, reason, steps: undoable.map((r) => r.name) }, actor);
      const incident = execution.incidentId ? (await this.deps.store.incidents.get(execution.incidentId)) ?? null : null;
      const note = `rolled back by ${actor}: ${reason}`;
      const results = await this.deps.executor.undo(current, runbook, { incident, params: {} }, undoable, note);
      const failed = results.find((r) => r.status === 'rollback_failed');
      const skipped = done.filter((r) => !undoable.includes(r)).map((r) => r.name);
      const status = failed ? 'failed' : 'rolled_back';
      const error = failed
        ? `rollback by ${actor} failed at ${failed.name}: ${failed.error ?? 'unknown error'}; a person must check ${execution.target}`
        : `${note}${skipped.length > 0 ? ` (not undoable, left as they are: ${skipped.join(', ')})` : ''}`;
      current = (await this.deps.store.executions.move(current, status, { error })) ?? current;
      this.deps.events.emit('execution:transition', { execution: current, from: 'rolling_back' });
      await this.deps.audit('rollback', id, status, { runbook: execution.runbook, target: execution.target, reason, undone: results.map((r) => [r.name, r.status]), skipped }, actor);
      if (incident) await this.deps.incidents.note(incident, status === 'rolled_back' ? 'rolled_back' : 'rollback_failed', `execution ${id} ${error}`, { execution: id });
      return current;
    } finally {
      this.deps.remediator.unhold(execution.target, holdId);
    }
  }

  /** The incident, runbook, target and severity a plan or a manual run is about. */
  private async resolve(req: PlanRequest): Promise<{ incident: Incident | null; runbook: CompiledRunbook; target: string; severity: Severity }> {
    if (typeof req !== 'object' || req === null) throw bad('body', 'must be {incidentId} or {runbook, target}');
    if ('incidentId' in req && req.incidentId !== undefined) {
      if (typeof req.incidentId !== 'string') throw bad('incidentId', 'must be a string');
      const incident = this.deps.incidents.byId(req.incidentId) ?? (await this.deps.store.incidents.get(req.incidentId));
      if (!incident) throw new OperationError('not_found', `no incident ${req.incidentId}`);
      const asked = 'runbook' in req && typeof req.runbook === 'string' ? req.runbook : null;
      const rule = this.deps.rules().get(incident.rule);
      const runbook = asked !== null ? this.runbookNamed(asked) : selectRunbook(this.deps.runbooks(), incident, rule, this.deps.targets[incident.target]);
      if (!runbook) throw new OperationError('conflict', `no runbook fixes ${incident.rule} on ${incident.target}: a person must act`);
      if (asked !== null && !matchesTarget(runbook, incident.target, this.deps.targets[incident.target]?.labels ?? {})) {
        throw bad('runbook', `runbook ${runbook.name} does not match target ${incident.target} (see its match)`);
      }
      return { incident, runbook, target: incident.target, severity: incident.severity };
    }
    const r = req as { runbook?: unknown; target?: unknown; severity?: unknown };
    if (typeof r.runbook !== 'string' || r.runbook === '') throw bad('runbook', 'name the runbook to run');
    if (typeof r.target !== 'string' || !/^[A-Za-z0-9_][\w.:@-]{0,199}$/.test(r.target) || r.target.includes('..')) {
      throw bad('target', 'name a configured target (letters, digits and ._:@- only)');
    }
    if (!Object.hasOwn(this.deps.targets, r.target)) {
      throw new OperationError('not_found', `no target ${r.target} (targets: ${Object.keys(this.deps.targets).join(', ') || 'none'})`);
    }
    if (r.severity !== undefined && !isSeverity(r.severity)) throw bad('severity', 'must be one of P0, P1, P2, P3');
    const runbook = this.runbookNamed(r.runbook);
    const labels = this.deps.targets[r.target]?.labels ?? {};
    if (!matchesTarget(runbook, r.target, labels)) throw bad('target', `runbook ${runbook.name} does not match target ${r.target} (see its match)`);
    // Without an incident a manual run is judged as P3 unless the person says otherwise, but never below what is
    // open on the target: otherwise asking without the incident would skip the approval the incident needs.
    let severity = (r.severity as Severity | undefined) ?? 'P3';
    for (const open of this.deps.incidents.activeList()) if (open.target === r.target) severity = moreSevere(severity, open.severity);
    return { incident: null, runbook, target: r.target, severity };
  }

  private runbookNamed(name: string): CompiledRunbook {
    const runbook = this.deps.runbooks().find((x) => x.name === name);
    if (!runbook) throw new OperationError('not_found', `no runbook ${name}`);
    return runbook;
  }

  /** The runbook's strategies with chains expanded into their actions, as the executor numbers the steps. */
  private flat(runbook: CompiledRunbook): FlatStrategy[] {
    try {
      return flatten(runbook, (name) => this.deps.runbooks().find((r) => r.name === name));
    } catch (err) {
      throw new OperationError('conflict', `runbook ${runbook.name} cannot be expanded: ${errorMessage(err)}`);
    }
  }

  private async planStep(runbook: CompiledRunbook, step: CompiledActionStep, target: string, incident: Incident | null): Promise<{ params: unknown; dryRun: StepPreview['dryRun'] }> {
    const plugin = this.deps.actions.get(step.action);
    let params: unknown = redactSecrets(step.params);
    try {
      if (!plugin) throw new Error(`unknown action ${step.action}`);
      const rendered = renderParams(step.params, templateVars(target, this.deps.targets[target], incident, {}), runbook.inputs);
      params = redactSecrets(rendered);
      const parsed = plugin.schema.safeParse(rendered);
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '));
      const info = await plugin.plan({
        params: parsed.data, targetName: target, target: this.deps.targets[target],
        incident: incident ? { id: incident.id, rule: incident.rule, severity: incident.severity } : null,
        executionId: 'plan-preview', clock: this.deps.clock, signal: AbortSignal.timeout(Math.min(step.timeoutMs, PLAN_TIMEOUT_MS)),
        log: this.deps.log, supervisor: this.deps.supervisor, notifier: this.deps.notifier,
      });
      return { params, dryRun: redactSecrets({ summary: info.summary, ...(info.details ? { details: info.details } : {}) }) as StepPreview['dryRun'] };
    } catch (err) {
      return { params, dryRun: { error: errorMessage(err) } };
    }
  }

  /**
   * A verified execution may still be watched: the person's rollback ends the watch first (the execution
   * finishes succeeded, with no verdict from the watch), so it cannot roll back twice. Returns it as stored then.
   */
  private async endWatch(execution: Execution, actor: string): Promise<Execution> {
    if (!this.deps.executor.isRunning(execution.id)) {
      if (execution.status !== 'succeeded') throw new OperationError('conflict', `execution ${execution.id} is ${execution.status} and not running: resume it first`);
      return execution;
    }
    this.deps.executor.endWatch(execution.target, `${actor} rolls it back`);
    const until = this.deps.clock.now() + WATCH_END_WAIT_MS;
    while (this.deps.executor.isRunning(execution.id)) {
      if (this.deps.clock.now() > until) throw new OperationError('conflict', `execution ${execution.id} is still running; try again when its watch ends`);
      await this.deps.clock.sleep(10);
    }
    const now = await this.deps.store.executions.get(execution.id);
    if (now?.status !== 'succeeded') throw new OperationError('conflict', `execution ${execution.id} became ${now?.status ?? 'unknown'} as its watch ended`);
    return now;
  }
}

/**
 * How long each severity waits for approval (SPEC §5: P0 15 min, P1 60 min):
 * `policy.approvalTimeoutMs` where the config has it (the workflows branch adds
 * it, with its enforcement), else those defaults and no deadline for P2/P3.
 */
export function approvalTimeouts(policy: object): Record<Severity, number | null> {
  const t = (policy as { approvalTimeoutMs?: Partial<Record<Severity, number | null>> }).approvalTimeoutMs;
  return { P0: t?.P0 ?? 15 * 60_000, P1: t?.P1 ?? 60 * 60_000, P2: t?.P2 ?? null, P3: t?.P3 ?? null };
}

function bad(field: string, message: string): OperationError {
  return new OperationError('bad_request', `${field}: ${message}`, { field });
}
