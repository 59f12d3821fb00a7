import type { EventBus } from '../core/events.js';
import type { Verdict } from '../core/policy.js';
import type { AlertRecord, AuditEntry, Execution, Incident, StepRecord, TimelineEntry } from '../core/records.js';
import type { Severity } from '../core/severity.js';
import type { CompiledConfig } from '../config/types.js';
import type { SilenceInput, SilenceView } from '../incidents/silences.js';
import type { IncomingAlert, IntakeResult } from '../intake/types.js';
import type { ApprovalView, ManualRequest, PlanPreview, PlanRequest } from '../remediation/operations.js';
import type { AlertFilter, AuditFilter, AuditVerification, ExecutionFilter, IncidentFilter, Page, Store } from '../store/types.js';
import { runbookDetail, runbookView, type RunbookDetail, type RunbookValidation, type RunbookView } from '../views/runbook-views.js';
import type { SignalSeries } from '../views/signals-around.js';
import { incidentStats, stats, type HealthScoreView, type IncidentStatsView, type StatsView, type StatsWindow } from '../views/stats.js';
import type { BreakerView, ProblemView } from '../views/views.js';
import type { Engine } from './engine.js';
import type { RuleTestResult } from './rule-test.js';
import type { RuleView } from './rules-runtime.js';
import type { RuntimeSettings, SettingsView } from './settings.js';

/**
 * Everything the API, the metrics and the CLI's in-process commands may ask of a running engine:
 * reads that return view types, and operations that go through the engine's own gates (policy,
 * approvals, audit). They get this port, never the Engine, so no route can write a record or reach
 * into the remediator past those gates; a test can hand them a fake.
 */
export interface EngineApi {
  now(): number;
  /** Every change the engine announces (the live stream and the metrics follow these). */
  readonly on: EventBus['on'];
  readonly intakeConfig: CompiledConfig['intake'];
  /** The API's own table: tokens are the API's concern (src/api/auth.ts, tokens.ts). */
  readonly tokens: Store['tokens'];
  audit(kind: string, subject: string, result: string, details: Record<string, unknown>, actor: string): Promise<void>;
  runtimeSettings(): RuntimeSettings;

  listIncidents(filter: IncidentFilter): Promise<Page<Incident>>;
  getIncident(id: string): Promise<Incident | undefined>;
  incidentTimeline(id: string): Promise<TimelineEntry[]>;
  /** Open incidents, from memory. */
  activeIncidents(): readonly Incident[];
  listExecutions(filter: ExecutionFilter): Promise<Page<Execution>>;
  getExecution(id: string): Promise<Execution | undefined>;
  executionSteps(id: string): Promise<StepRecord[]>;
  listAlerts(filter: AlertFilter): Promise<Page<AlertRecord>>;
  listAudit(filter: AuditFilter): Promise<Page<AuditEntry>>;
  verifyAudit(): Promise<AuditVerification>;
  /** The audit log's newest entry and newest signed checkpoint (the metrics export them). */
  auditHead(): ReturnType<Store['audit']['head']>;

  problems(): readonly ProblemView[];
  incidentStats(range: { since?: number; until?: number }): Promise<IncidentStatsView>;
  stats(window: StatsWindow): Promise<StatsView>;
  healthScore(): Promise<HealthScoreView>;
  signalsAround(incidentId: string, beforeMs: number, afterMs: number): Promise<{ series: SignalSeries[] }>;

  previewPlan(req: PlanRequest, actor: string): Promise<PlanPreview>;
  runManual(req: ManualRequest, actor: string): Promise<{ verdict: Verdict; execution: Execution | null }>;
  rollbackExecution(id: string, actor: string, reason: string): Promise<Execution>;
  approvals(): Promise<ApprovalView[]>;
  approve(id: string, actor: string, comment: string | null): Promise<Execution>;
  reject(id: string, actor: string, reason: string): Promise<Execution>;
  resume(id: string, actor: string, opts: { assumeDone: boolean; comment: string | null }): Promise<Execution>;
  abandon(id: string, actor: string, reason: string): Promise<Execution>;

  settingsView(): SettingsView;
  changeSettings(patch: Record<string, unknown>, actor: string): Promise<SettingsView>;
  ruleList(): readonly RuleView[];
  createRule(spec: unknown, actor: string): Promise<RuleView>;
  updateRule(name: string, spec: unknown, actor: string): Promise<RuleView>;
  deleteRule(name: string, actor: string): Promise<void>;
  testRules(values: Record<string, Record<string, number>>): readonly RuleTestResult[];
  runbookList(): readonly RunbookView[];
  runbook(name: string): RunbookDetail | undefined;
  validateRunbook(text: string): RunbookValidation;
  breakerList(): readonly BreakerView[];
  resetBreaker(key: string, actor: string): Promise<BreakerView>;

  /** Judges the alerts now; `persisted` settles once they are stored. */
  receiveAlerts(source: 'alertmanager' | 'webhook', sender: string, alerts: readonly IncomingAlert[]): {
    result: IntakeResult; persisted: Promise<void>;
  };
  firingAlerts(): { rule: string; target: string; alerts: number; severity: Severity }[];
  intakeCounts(): Readonly<{ received: number; deduplicated: number; unrouted: number }>;
  createSilence(input: SilenceInput, actor: string): Promise<SilenceView>;
  listSilences(): Promise<SilenceView[]>;
  expireSilence(id: string, actor: string): Promise<SilenceView>;
}

/** The port over one engine: each member hands the call to the part that owns it. */
export function engineApi(engine: Engine): EngineApi {
  const { store, remediator, control, intake } = engine;
  return {
    now: () => engine.now(),
    on: (event, listener) => engine.events.on(event, listener),
    intakeConfig: engine.config.intake,
    tokens: store.tokens,
    audit: (kind, subject, result, details, actor) => engine.audit(kind, subject, result, details, actor),
    runtimeSettings: () => engine.runtimeSettings(),

    listIncidents: (filter) => store.incidents.list(filter),
    getIncident: (id) => store.incidents.get(id),
    incidentTimeline: (id) => store.incidents.timeline(id),
    activeIncidents: () => engine.incidents.activeList(),
    listExecutions: (filter) => store.executions.list(filter),
    getExecution: (id) => store.executions.get(id),
    executionSteps: (id) => store.executions.steps(id),
    listAlerts: (filter) => store.alerts.list(filter),
    listAudit: (filter) => store.audit.list(filter),
    verifyAudit: () => store.audit.verify(),
    auditHead: () => store.audit.head(),

    problems: () => engine.problems(),
    incidentStats: (range) => incidentStats(store, range),
    stats: (window) => stats(store, window, engine.now()),
    healthScore: () => engine.healthScore(),
    signalsAround: (id, before, after) => engine.signalsAround(id, before, after),

    previewPlan: (req, actor) => engine.previewPlan(req, actor),
    runManual: (req, actor) => engine.runManual(req, actor),
    rollbackExecution: (id, actor, reason) => engine.rollbackExecution(id, actor, reason),
    approvals: () => engine.approvals(),
    approve: (id, actor, comment) => remediator.approve(id, actor, comment),
    reject: (id, actor, reason) => remediator.reject(id, actor, reason),
    resume: (id, actor, opts) => control.resume(id, actor, opts),
    abandon: (id, actor, reason) => control.abandon(id, actor, reason),

    settingsView: () => engine.settingsView(),
    changeSettings: (patch, actor) => engine.changeSettings(patch, actor),
    ruleList: () => engine.ruleList(),
    createRule: (spec, actor) => engine.createRule(spec, actor),
    updateRule: (name, spec, actor) => engine.updateRule(name, spec, actor),
    deleteRule: (name, actor) => engine.deleteRule(name, actor),
    testRules: (values) => engine.testRules(values),
    runbookList: () => engine.runbooks.map(runbookView),
    runbook: (name) => {
      const r = engine.runbooks.find((x) => x.name === name);
      return r && runbookDetail(r);
    },
    validateRunbook: (text) => engine.validateRunbook(text),
    breakerList: () => engine.breakerList(),
    resetBreaker: (key, actor) => engine.resetBreaker(key, actor),

    receiveAlerts: (source, sender, alerts) => intake.accept(source, sender, alerts),
    firingAlerts: () => intake.firing(),
    intakeCounts: () => intake.counts(),
    createSilence: (input, actor) => engine.silences.create(input, actor),
    listSilences: () => engine.silences.list(),
    expireSilence: (id, actor) => engine.silences.expire(id, actor),
  };
}
