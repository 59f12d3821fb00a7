import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { longestWindowMs } from '../core/condition.js';
import { evaluate } from '../core/evaluate.js';
import { ruleScope } from '../core/fingerprint.js';
import type { FlapLimit } from '../core/flap.js';
import type { PolicySettings, Verdict } from '../core/policy.js';
import type { Execution } from '../core/records.js';
import type { Signal } from '../core/signal.js';
import type { CompiledConfig, CompiledRule } from '../config/types.js';
import type { ActionPlugin } from '../actions/types.js';
import type { NotifierPort } from '../core/notification.js';
import { Executor } from '../executor/executor.js';
import { bridgeNotifications } from '../notify/bridge.js';
import type { Evidence } from '../executor/types.js';
import { AlertIntake } from '../intake/intake.js';
import type { ProbePlugin } from '../probes/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Severity } from '../core/severity.js';
import type { Store } from '../store/types.js';
import type { SupervisorPort } from '../supervisor/types.js';
import { Detector, type DetectorSink } from '../incidents/detector.js';
import type { ApprovalDeadlines } from '../remediation/approval-deadlines.js';
import { EventBus } from '../core/events.js';
import type { Scheduler } from './scheduler.js';
import type { ExecutionControl } from '../remediation/execution-control.js';
import { Incidents } from '../incidents/incidents.js';
import { ProbeRunner } from './probe-runner.js';
import { Remediator } from '../remediation/remediator.js';
import { applyPatch, dropThresholds, initialSettings, restoreSettings, settingsView, type RuntimeSettings, type SettingsView } from './settings.js';
import { testRules, type RuleTestResult } from './rule-test.js';
import { effectiveRules, RuleBook, ruleView, type RuleView } from './rules-runtime.js';
import { Serial } from '../core/serial.js';
import { Operations, type ApprovalView, type ManualRequest, type PlanPreview, type PlanRequest } from '../remediation/operations.js';
import { validateRunbook, type RunbookValidation } from '../views/runbook-views.js';
import { SignalBuffer } from '../core/signals.js';
import { signalsAround, type SignalSeries } from '../views/signals-around.js';
import { healthScore, type HealthScoreView } from '../views/stats.js';
import { ProblemFlow } from '../remediation/problem-flow.js';
import { Silences } from '../incidents/silences.js';
import { breakerView, problemViews, type BreakerView, type ProblemView } from '../views/views.js';
import { wireWorkflows } from './workflows.js';

export interface EngineDeps {
  readonly config: CompiledConfig;
  readonly runbooks: readonly CompiledRunbook[];
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly probePlugins: ReadonlyMap<string, ProbePlugin>;
  readonly actionPlugins: ReadonlyMap<string, ActionPlugin>;
  readonly supervisor: SupervisorPort;
  readonly notifier: NotifierPort;
}

export type { RuntimeSettings, SettingsPatch, SettingsView } from './settings.js';
export type { BreakerView, ProblemView } from '../views/views.js';

const TICK_MS = 200;
const RECONSIDER_EVERY = 5;
const MAINTAIN_EVERY = 300;
/** The in-memory windows keep at least this much history, and more when a rule's window is longer. */
const MIN_BUFFER_AGE_MS = 15 * 60_000;

/**
 * The composition root (SPEC §1): probes → signals → detector → incidents →
 * remediator (runbook, plan, policy) → executor (steps, verify, watch,
 * rollback), with the audit log and the event bus alongside. Constructing it
 * wires; start() does I/O; stop() is safe to call twice.
 */
export class Engine {
  readonly events: EventBus;
  readonly buffer: SignalBuffer;
  readonly detector: Detector;
  readonly incidents: Incidents;
  readonly remediator: Remediator;
  readonly executor: Executor;
  /** Pushed alerts (Alertmanager, webhooks): the API's intake routes hand deliveries to it. */
  readonly intake: AlertIntake;
  readonly silences: Silences;
  private readonly ruleBook: RuleBook;
  private readonly operations: Operations;
  /** Settings and rule changes one at a time: each reads what the previous one wrote. */
  private readonly changes = new Serial();
  /** Resume or abandon executions held for a person. */
  readonly control: ExecutionControl;
  readonly approvalDeadlines: ApprovalDeadlines;
  readonly scheduler: Scheduler;
  private readonly probes: ProbeRunner;
  private rulesByName: Map<string, CompiledRule>;
  private settings: RuntimeSettings;
  private pendingSignals: Signal[] = [];
  private readonly stopper = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private started = false;
  private readonly unbridge: () => void;

  constructor(private readonly deps: EngineDeps) {
    const { config, clock, log, store } = deps;
    this.events = new EventBus((event, err) => log.error({ event, err: errorMessage(err) }, 'event listener threw'));
    this.settings = initialSettings(config.policy);
    this.rulesByName = new Map(config.rules.map((r) => [r.name, r]));
    // A trend over 2 h needs 2 h of samples: the buffer holds the longest window any rule or check reads.
    const longest = Math.max(MIN_BUFFER_AGE_MS, rulesWindowMs(config.rules),
      ...deps.runbooks.flatMap((rb) => [...rb.verify.checks, ...rb.strategies.flatMap((s) => s.steps.flatMap((st) => (st.when ? [st.when] : [])))].map(longestWindowMs)));
    this.buffer = new SignalBuffer({ maxAgeMs: longest + 60_000, maxPointsPerSeries: 20_000 });
    const audit = this.audit.bind(this);
    this.detector = new Detector(config.rules, Object.keys(config.targets), this.buffer, this.sink());
    this.incidents = new Incidents({
      store, clock, events: this.events, audit,
      onActiveChange: (i, active) => this.detector.markActive(i.rule, i.target, active, ruleScope(i)),
    });
    const evidence: Evidence = {
      resetTarget: (target, at) => this.detector.resetTarget(target, at),
      handsOn: (target, at) => {
        this.detector.handsOn(target, at);
        return { done: (end, settleMs) => this.detector.handsOff(target, end, settleMs) };
      },
      checkNow: (target) => this.probes.checkNow(target),
      ruleHoldsSince: (rule, target, since, now, labels) => this.detector.holdsSince(rule, target, since, now, labels),
      evaluate: (cond, target, since, now) => evaluate(cond, this.buffer, { target, since, now }),
      points: (target, signal) => this.buffer.points(target, signal),
      ruleFiring: (rule, target) => this.detector.state(rule, target).phase === 'firing',
    };
    this.executor = new Executor({
      store, clock, log, events: this.events, actions: deps.actionPlugins, supervisor: deps.supervisor,
      notifier: deps.notifier, targets: config.targets, evidence, audit, rules: () => this.rulesByName,
      runbooks: () => this.deps.runbooks,
    }, { onOutcome: (e, o, r, c, p) => this.remediator.onOutcome(e, o, r, c, p) });
    this.remediator = new Remediator({
      store, clock, log, events: this.events, incidents: this.incidents, executor: this.executor,
      targets: config.targets, audit,
      policy: () => this.policy(),
      runbooks: () => this.deps.runbooks,
      rules: () => this.rulesByName,
      baseline: (target) => this.baseline(target),
      approvalTimeoutMs: () => config.policy.approvalTimeoutMs,
      silencedBy: (i) => this.silences.matching(i)?.id ?? null,
    });
    this.ruleBook = new RuleBook({ fileRules: config.rules, targets: Object.keys(config.targets), runbooks: () => this.deps.runbooks, store, clock, log, audit });
    this.silences = new Silences({ store, clock, incidents: this.incidents, targets: config.targets, rules: () => this.rulesByName, audit });
    this.operations = new Operations({
      store, clock, log, events: this.events, incidents: this.incidents, remediator: this.remediator, executor: this.executor,
      actions: deps.actionPlugins, supervisor: deps.supervisor, notifier: deps.notifier, targets: config.targets, policy: config.policy,
      runbooks: () => this.deps.runbooks, rules: () => this.rulesByName, baseline: (target) => this.baseline(target), audit,
    });
    ({ approvalDeadlines: this.approvalDeadlines, scheduler: this.scheduler, control: this.control } = wireWorkflows({
      config, store, clock, events: this.events, incidents: this.incidents, remediator: this.remediator, audit,
      runbooks: () => this.deps.runbooks, autoRemediation: () => this.settings.autoRemediation,
      isSilenced: (target, rule, severity) => this.silences.matching({ rule, target, severity, labels: {} }) !== undefined,
    }));
    // A new problem on a target whose fix is being watched is that fix failing. Related means: any incident on
    // the target that is not silenced (a silence says "not evidence") and is not the one being fixed.
    this.events.on('incident:opened', ({ incident }) => {
      if (incident.silenced || this.executor.watchedIncident(incident.target) === incident.id) return;
      this.executor.failWatch(incident.target, `a new problem on ${incident.target} during the watch: ${incident.rule} (${incident.id})`);
    });
    // The one sender of the engine's notifications: every one is made from an event.
    this.unbridge = bridgeNotifications(this.events, deps.notifier, clock);
    this.intake = new AlertIntake({
      routes: config.intake.routes, clock, log: log.child({ part: 'intake' }), store: store.alerts,
      isTarget: (name) => Object.hasOwn(this.config.targets, name),
      ingest: (signals) => this.ingest(signals),
      received: (e) => this.events.emit('alerts:received', e),
    });
    this.probes = new ProbeRunner({
      probes: config.probes, plugins: deps.probePlugins, targets: config.targets, supervisor: deps.supervisor,
      clock, log, emit: (signals) => this.ingest(signals),
    });
  }

  get config(): CompiledConfig {
    return this.deps.config;
  }

  get runbooks(): readonly CompiledRunbook[] {
    return this.deps.runbooks;
  }

  get store(): Store {
    return this.deps.store;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.settings = restoreSettings(this.settings, await this.deps.store.settings.get<Record<string, unknown>>('runtime'));
    await this.ruleBook.load();
    this.applyRules();
    await this.incidents.load();
    await this.silences.load();
    await this.silences.refresh();
    await this.remediator.load();
    await this.remediator.resumeInterrupted();
    await this.intake.load();
    for (const target of Object.values(this.deps.config.targets)) {
      if (target.process) await this.deps.supervisor.start(target.name);
    }
    this.probes.start();
    this.intake.start();
    this.approvalDeadlines.start();
    this.scheduler.start();
    this.loopDone = this.loop();
    await this.audit('engine', 'engine', 'started', { mode: this.settings.mode, autoRemediation: this.settings.autoRemediation });
  }

  async stop(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    this.stopper.abort();
    await this.intake.stop();
    await this.probes.stop();
    await this.approvalDeadlines.stop();
    await this.scheduler.stop();
    await this.executor.stop();
    // Executions stop at their next step boundary; none may touch the store after it closes.
    await this.remediator.idle();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
    await this.flushSignals();
    if (this.started) await this.audit('engine', 'engine', 'stopped', {}).catch(() => undefined);
    this.unbridge();
  }

  /** Pushed signals (intake) and probe results enter here. */
  ingest(signals: readonly Signal[]): void {
    if (this.stopper.signal.aborted || signals.length === 0) return;
    this.buffer.add(signals);
    this.pendingSignals.push(...signals);
    this.events.emit('signals', { signals });
    const byTarget = new Map<string, Set<string>>();
    for (const s of signals) {
      const set = byTarget.get(s.target) ?? new Set<string>();
      set.add(s.name);
      byTarget.set(s.target, set);
    }
    const now = this.deps.clock.now();
    for (const [target, names] of byTarget) this.detector.onSignals(target, [...names], now);
  }

  /** The engine's clock, for callers that stamp what they hand in (the intake routes). */
  now(): number {
    return this.deps.clock.now();
  }

  runtimeSettings(): RuntimeSettings {
    return this.settings;
  }

  settingsView(): SettingsView {
    return settingsView(this.settings, [...this.rulesByName.values()]);
  }

  /**
   * Applies a change at once (the detector reads new thresholds on its next
   * evaluation, the policy new limits on its next decision), stores it, and
   * audits and announces every value that changed. A wrong field changes nothing.
   */
  changeSettings(patch: unknown, actor: string): Promise<SettingsView> {
    return this.changes.run(() => this.changeSettingsNow(patch, actor));
  }

  private async changeSettingsNow(patch: unknown, actor: string): Promise<SettingsView> {
    const { next, changes } = applyPatch(this.settings, patch, this.baseRules());
    if (changes.length === 0) return this.settingsView();
    await this.deps.store.settings.put('runtime', next, this.deps.clock.now());
    const thresholdsChanged = next.thresholds !== this.settings.thresholds;
    this.settings = next;
    if (thresholdsChanged) this.applyRules();
    for (const c of changes) {
      await this.audit('setting', c.key, 'changed', { from: c.from, to: c.to }, actor);
      this.events.emit('setting:changed', { key: c.key, value: c.to, actor });
    }
    return this.settingsView();
  }

  /** The rules before person-set thresholds: from the config file and the API. */
  private baseRules(): readonly CompiledRule[] {
    return this.ruleBook.all();
  }

  /** Every rule, with what it reads now on each target it applies to. */
  ruleList(): RuleView[] {
    const now = this.deps.clock.now();
    const targets = Object.keys(this.deps.config.targets);
    return [...this.rulesByName.values()].map((r) => ruleView(r, this.ruleBook.sourceOf(r.name)!, targets, this.buffer, (n, t) => this.detector.state(n, t), now));
  }

  createRule(spec: unknown, actor: string): Promise<RuleView> {
    return this.changes.run(async () => {
      const rule = await this.ruleBook.create(spec, actor);
      this.applyRules();
      return this.ruleList().find((r) => r.name === rule.name)!;
    });
  }

  updateRule(name: string, spec: unknown, actor: string): Promise<RuleView> {
    return this.changes.run(async () => {
      await this.ruleBook.update(name, spec, actor);
      await this.dropThresholds(name, actor);
      this.applyRules();
      return this.ruleList().find((r) => r.name === name)!;
    });
  }

  /** A deleted rule's open incidents are resolved: nothing would ever judge them cleared. */
  async deleteRule(name: string, actor: string): Promise<void> {
    await this.changes.run(async () => {
      await this.ruleBook.delete(name, actor);
      await this.dropThresholds(name, actor);
      this.applyRules();
    });
    for (const incident of this.incidents.activeList().filter((i) => i.rule === name && i.status !== 'remediating')) {
      const why = `rule ${name} was deleted by ${actor}`;
      if (incident.status === 'awaiting_approval') await this.remediator.withdrawApprovals(incident, why);
      await this.incidents.move(incident, 'resolved', why);
    }
  }

  /** Which rules would hold for these values, at which severity, with which runbook and verdict; changes nothing. */
  testRules(values: Record<string, Record<string, number>>): RuleTestResult[] {
    return testRules(values, {
      rules: [...this.rulesByName.values()], runbooks: this.deps.runbooks, targets: this.deps.config.targets,
      policy: this.policy(), now: this.deps.clock.now(),
      breaker: (key) => this.remediator.breakerList().find((b) => b.key === key),
    });
  }

  /** A fix proposed for an incident, or a runbook on a target: verdict, impact, rollback plan and each action's own plan. Changes nothing. */
  previewPlan(req: PlanRequest, actor: string): Promise<PlanPreview> {
    return this.operations.previewPlan(req, actor);
  }

  /** A person's run of a runbook; P0/P1 and approval-demanding runbooks wait for approval, dry runs change nothing. */
  runManual(req: ManualRequest, actor: string): Promise<{ verdict: Verdict; execution: Execution | null }> {
    return this.operations.runManual(req, actor);
  }

  approvals(): Promise<ApprovalView[]> {
    return this.operations.approvals();
  }

  /** Undoes a succeeded execution's completed steps in reverse; audited; the execution becomes rolled_back. */
  rollbackExecution(id: string, actor: string, reason: string): Promise<Execution> {
    return this.operations.rollbackExecution(id, actor, reason);
  }

  /** Problems holding now: every rule firing on a target, most severe first. */
  problems(): ProblemView[] {
    return problemViews(this.detector.firing());
  }

  /** The incident's target's signals from `beforeMs` before it opened to `afterMs` after it ended, for a chart. */
  signalsAround(incidentId: string, beforeMs: number, afterMs: number): Promise<{ series: SignalSeries[] }> {
    return signalsAround({ store: this.deps.store, buffer: this.buffer, rules: this.rulesByName }, incidentId, beforeMs, afterMs);
  }

  breakerList(): BreakerView[] {
    return this.remediator.breakerList().map(breakerView).sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Superadmin's manual close of a circuit breaker; audited, announced as breaker:changed. */
  async resetBreaker(key: string, actor: string): Promise<BreakerView> {
    return breakerView(await this.remediator.resetBreaker(key, actor));
  }

  /** A posted runbook checked by the same compiler as runbook files: each problem with line and field. */
  validateRunbook(text: string): RunbookValidation {
    return validateRunbook(text, { actions: this.deps.actionPlugins, settleMs: this.deps.config.policy.settleMs });
  }

  /** 0–100 overall and per component from open incidents by severity, with a 24 h series every 15 min. */
  healthScore(): Promise<HealthScoreView> {
    return healthScore(this.deps.store, this.rulesByName, this.deps.clock.now());
  }

  /** Thresholds set for a rule's old bands do not carry over to a changed or deleted rule. */
  private async dropThresholds(name: string, actor: string): Promise<void> {
    const { next, dropped } = dropThresholds(this.settings, name);
    if (!dropped) return;
    this.settings = next;
    await this.deps.store.settings.put('runtime', this.settings, this.deps.clock.now());
    await this.audit('setting', `rules.${name}`, 'thresholds_dropped', { thresholds: dropped }, actor);
  }

  /** Rules with their threshold overrides, handed to the detector and to whatever reads rules by name. */
  private applyRules(): void {
    const effective = effectiveRules(this.baseRules(), this.settings.thresholds);
    this.rulesByName = new Map(effective.map((r) => [r.name, r]));
    this.detector.setRules(effective);
    this.buffer.keepAtLeast(rulesWindowMs(effective) + 60_000);
  }

  policy(): PolicySettings & { breakerFailures: number; flap: FlapLimit; fourEyes: Readonly<Record<Severity, boolean>> } {
    const p = this.deps.config.policy;
    return {
      mode: this.settings.mode,
      autoRemediation: this.settings.autoRemediation,
      approval: p.approval,
      rateLimits: this.settings.rateLimits,
      cooldownMs: this.settings.cooldownMs,
      maxConcurrent: p.maxConcurrent,
      blastRadius: p.blastRadius,
      breakerFailures: p.circuitBreaker.failures,
      flap: p.flap,
      fourEyes: p.fourEyes,
    };
  }

  async audit(kind: string, subject: string, result: string, details: Record<string, unknown>, actor = 'engine'): Promise<void> {
    await this.deps.store.audit.append({ at: this.deps.clock.now(), actor, kind, subject, details, result });
  }

  /** Resolves when nothing is being decided or executed (tests). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await this.remediator.idle();
  }

  private sink(): DetectorSink {
    const flow = new ProblemFlow({
      incidents: () => this.incidents, remediator: () => this.remediator, silences: () => this.silences,
      intake: () => this.intake, detector: () => this.detector, events: this.events, log: this.deps.log,
    });
    return {
      fired: (p) => this.track(flow.fired(p)),
      inhibited: (p, cause) => this.track(flow.inhibited(p, cause)),
      suppressed: (p) => flow.suppressed(p),
      escalated: (p) => this.track(flow.escalated(p)),
      cleared: (rule, target, explain, labels) => this.track(flow.cleared(rule, target, explain, labels)),
    };
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((err) => this.deps.log.error({ err: errorMessage(err) }, 'engine task failed')).finally(() => this.inflight.delete(t));
    this.inflight.add(t);
  }

  private async loop(): Promise<void> {
    const signal = this.stopper.signal;
    for (let n = 1; !signal.aborted; n++) {
      try {
        await this.deps.clock.sleep(TICK_MS, signal);
      } catch {
        return;
      }
      const now = this.deps.clock.now();
      this.detector.tick(now);
      if (n % RECONSIDER_EVERY === 0 && (this.silences.anyLive || this.incidents.activeList().some((i) => i.silenced))) this.track(this.silences.refresh());
      if (n % RECONSIDER_EVERY === 0) this.reconsider();
      if (n % RECONSIDER_EVERY === 0) this.track(this.flushSignals());
      if (n % MAINTAIN_EVERY === 0) this.track(this.maintain(now));
    }
  }

  /** Incidents that were deferred (busy target, cooldown, rate limit) get another decision while their rule still fires. */
  private reconsider(): void {
    for (const incident of this.incidents.activeList()) {
      if (!this.remediator.mayReconsider(incident)) continue;
      if (incident.silenced || this.remediator.isBusy(incident.target) || this.incidents.isOpening(incident.id)) continue;
      if (incident.source !== 'manual' && this.detector.state(incident.rule, incident.target, ruleScope(incident)).phase !== 'firing') continue;
      this.track(this.remediator.consider(incident));
    }
  }

  private async flushSignals(): Promise<void> {
    if (this.pendingSignals.length === 0) return;
    const batch = this.pendingSignals;
    this.pendingSignals = [];
    await this.deps.store.signals.append(batch);
  }

  private async maintain(now: number): Promise<void> {
    this.buffer.prune(now);
    await this.deps.store.signals.prune(now - this.deps.config.storage.signalRetentionMs);
    await this.deps.store.alerts.prune(now - this.deps.config.storage.historyRetentionMs);
  }

  /** What the watch compares a fix against: the last 10 s of error ratio and p95 latency. */
  private baseline(target: string): Record<string, number> {
    return this.buffer.recentMeans(target, ['error_ratio', 'latency_p95_ms'], this.deps.clock.now() - 10_000);
  }
}

/** The longest window any band of these rules reads. */
function rulesWindowMs(rules: readonly CompiledRule[]): number {
  return Math.max(0, ...rules.flatMap((r) => r.bands.map((b) => longestWindowMs(b.condition))));
}
