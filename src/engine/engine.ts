import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { longestWindowMs } from '../core/condition.js';
import { evaluate } from '../core/evaluate.js';
import type { PolicySettings } from '../core/policy.js';
import type { Signal } from '../core/signal.js';
import type { CompiledConfig, CompiledRule } from '../config/types.js';
import type { ActionPlugin, NotifierPort } from '../actions/types.js';
import { Executor } from '../executor/executor.js';
import type { Evidence } from '../executor/types.js';
import type { ProbePlugin } from '../probes/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Severity } from '../core/severity.js';
import type { Store } from '../store/types.js';
import type { SupervisorPort } from '../supervisor/types.js';
import { Detector, type DetectorSink, type Problem } from './detector.js';
import { BUSY_EXECUTION_STATUSES } from '../core/execution.js';
import { ApprovalDeadlines } from './approval-deadlines.js';
import { EventBus } from './events.js';
import { Scheduler } from './scheduler.js';
import { ExecutionControl } from './execution-control.js';
import { Incidents } from './incidents.js';
import { ProbeRunner } from './probe-runner.js';
import { Remediator } from './remediator.js';
import { SignalBuffer } from './signals.js';

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

/** Settings a person can change at run time; they outlive restarts in the store. */
export interface RuntimeSettings {
  readonly autoRemediation: boolean;
  readonly mode: 'active' | 'shadow';
}

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
  /** Resume or abandon executions held for a person. */
  readonly control: ExecutionControl;
  readonly approvalDeadlines: ApprovalDeadlines;
  readonly scheduler: Scheduler;
  private readonly probes: ProbeRunner;
  private readonly rulesByName: Map<string, CompiledRule>;
  private settings: RuntimeSettings;
  private pendingSignals: Signal[] = [];
  private readonly stopper = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private started = false;

  constructor(private readonly deps: EngineDeps) {
    const { config, clock, log, store } = deps;
    this.events = new EventBus((event, err) => log.error({ event, err: errorMessage(err) }, 'event listener threw'));
    this.settings = { autoRemediation: config.policy.autoRemediation, mode: config.policy.mode };
    this.rulesByName = new Map(config.rules.map((r) => [r.name, r]));
    // A trend over 2 h needs 2 h of samples: the buffer holds the longest window any rule or check reads.
    const longest = Math.max(MIN_BUFFER_AGE_MS, ...config.rules.flatMap((r) => r.bands.map((b) => longestWindowMs(b.condition))),
      ...deps.runbooks.flatMap((rb) => [...rb.verify.checks, ...rb.strategies.flatMap((s) => s.steps.flatMap((st) => (st.when ? [st.when] : [])))].map(longestWindowMs)));
    this.buffer = new SignalBuffer({ maxAgeMs: longest + 60_000, maxPointsPerSeries: 20_000 });
    const audit = this.audit.bind(this);
    this.detector = new Detector(config.rules, Object.keys(config.targets), this.buffer, this.sink());
    this.incidents = new Incidents({
      store, clock, events: this.events, audit,
      onActiveChange: (i, active) => this.detector.markActive(i.rule, i.target, active),
    });
    const evidence: Evidence = {
      resetTarget: (target, at) => this.detector.resetTarget(target, at),
      checkNow: (target) => this.probes.checkNow(target),
      ruleHoldsSince: (rule, target, since, now) => this.detector.holdsSince(rule, target, since, now),
      evaluate: (cond, target, since, now) => evaluate(cond, this.buffer, { target, since, now }),
      points: (target, signal) => this.buffer.points(target, signal),
    };
    this.executor = new Executor({
      store, clock, log, events: this.events, actions: deps.actionPlugins, supervisor: deps.supervisor,
      notifier: deps.notifier, targets: config.targets, evidence, audit, rules: () => this.rulesByName,
      runbooks: () => this.deps.runbooks,
    }, { onOutcome: (e, o, r, c, p) => this.remediator.onOutcome(e, o, r, c, p) });
    this.remediator = new Remediator({
      store, clock, log, events: this.events, incidents: this.incidents, executor: this.executor,
      notifier: deps.notifier, targets: config.targets, audit,
      policy: () => this.policy(),
      runbooks: () => this.deps.runbooks,
      rules: () => this.rulesByName,
      baseline: (target) => this.baseline(target),
    });
    this.approvalDeadlines = new ApprovalDeadlines({
      store, clock, events: this.events, incidents: this.incidents, notifier: deps.notifier, audit,
      timeoutMs: () => config.policy.approvalTimeoutMs,
    });
    this.scheduler = new Scheduler({
      clock, events: this.events, schedules: config.schedules, audit,
      runbooks: () => this.deps.runbooks,
      autoRemediation: () => this.settings.autoRemediation,
      // Silences land with the API work (issue-3b); until then nothing is silenced.
      isSilenced: () => false,
      state: store.settings,
      isActive: async (id) => {
        const e = await store.executions.get(id);
        return e !== undefined && [...BUSY_EXECUTION_STATUSES, 'awaiting_approval', 'held'].includes(e.status);
      },
      request: async (runbook, s, reason) => {
        const r = await this.remediator.requestManual(runbook, s.target, { actor: `schedule:${s.name}`, dryRun: false, severity: s.severity, incident: null, reason });
        return { executionId: r.execution?.id ?? null, verdict: r.verdict.kind, reason: r.verdict.reason };
      },
    });
    this.control = new ExecutionControl({
      store, clock, events: this.events, incidents: this.incidents, audit,
      runbooks: () => this.deps.runbooks,
      start: (execution, runbook) => this.remediator.resumeHeld(execution, runbook),
    });
    this.events.on('incident:opened', ({ incident }) => this.executor.endWatch(incident.target));
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
    const stored = await this.deps.store.settings.get<Partial<RuntimeSettings>>('runtime');
    if (stored) this.settings = { ...this.settings, ...stored };
    await this.incidents.load();
    await this.remediator.load();
    await this.remediator.resumeInterrupted();
    for (const target of Object.values(this.deps.config.targets)) {
      if (target.process) await this.deps.supervisor.start(target.name);
    }
    this.probes.start();
    this.approvalDeadlines.start();
    this.scheduler.start();
    this.loopDone = this.loop();
    await this.audit('engine', 'engine', 'started', { mode: this.settings.mode, autoRemediation: this.settings.autoRemediation });
  }

  async stop(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    this.stopper.abort();
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

  runtimeSettings(): RuntimeSettings {
    return this.settings;
  }

  async changeSettings(patch: Partial<RuntimeSettings>, actor: string): Promise<RuntimeSettings> {
    const before = this.settings;
    this.settings = { ...this.settings, ...patch };
    await this.deps.store.settings.put('runtime', this.settings, this.deps.clock.now());
    for (const [key, value] of Object.entries(patch)) {
      if (before[key as keyof RuntimeSettings] === value) continue;
      await this.audit('setting', key, 'changed', { from: before[key as keyof RuntimeSettings], to: value }, actor);
      this.events.emit('setting:changed', { key, value, actor });
    }
    return this.settings;
  }

  policy(): PolicySettings & { breakerFailures: number; fourEyes: Readonly<Record<Severity, boolean>> } {
    const p = this.deps.config.policy;
    return {
      mode: this.settings.mode,
      autoRemediation: this.settings.autoRemediation,
      approval: p.approval,
      rateLimits: p.rateLimits,
      cooldownMs: p.cooldownMs,
      maxConcurrent: p.maxConcurrent,
      blastRadius: p.blastRadius,
      breakerFailures: p.circuitBreaker.failures,
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
    return {
      fired: (p) => this.track(this.onFired(p)),
      escalated: (p) => this.track(this.incidents.open(p)),
      cleared: (rule, target, explain) => this.track(this.onCleared(rule, target, explain)),
    };
  }

  private async onFired(p: Problem): Promise<void> {
    const { incident } = await this.incidents.open(p);
    if (incident.status === 'open') await this.remediator.consider(incident);
  }

  private readonly clearing = new Set<string>();

  private async onCleared(rule: CompiledRule, target: string, explain: string): Promise<void> {
    const incident = this.incidents.findActive(rule.name, target);
    if (!incident) {
      this.detector.markActive(rule.name, target, false);
      return;
    }
    // While an execution works on it, its verify is the judge; after that the incident is reopened or resolved there.
    // While a decision about the target is being recorded, wait: the detector says "cleared" again next time.
    if (incident.status === 'remediating' || this.remediator.isDeciding(incident.target) || this.clearing.has(incident.id)) return;
    if (this.incidents.isOpening(incident.id)) return;
    this.clearing.add(incident.id);
    try {
      if (incident.status === 'awaiting_approval') await this.remediator.withdrawApprovals(incident, `the problem cleared by itself: ${explain}`);
      await this.incidents.move(incident, 'resolved', `no longer holds: ${explain}`);
    } finally {
      this.clearing.delete(incident.id);
    }
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
      if (incident.source === 'rule' && this.detector.state(incident.rule, incident.target).phase !== 'firing') continue;
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
  }

  private baseline(target: string): Record<string, number> {
    const out: Record<string, number> = {};
    const now = this.deps.clock.now();
    for (const name of ['error_ratio', 'latency_p95_ms']) {
      const pts = this.buffer.points(target, name).filter((p) => p.at > now - 10_000);
      if (pts.length > 0) out[name] = pts.reduce((a, p) => a + p.value, 0) / pts.length;
    }
    return out;
  }
}
