import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Incident } from '../core/records.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import type { EngineApi } from '../engine/api-port.js';
import type { Notifier } from '../notify/notifier.js';

/**
 * Medic's own metrics (SPEC §8) in one registry per engine, never the global
 * one: a process (or a test) may run several engines. Counters and histograms
 * follow the engine's events; gauges are read through its port when scraped.
 */
export interface EngineMetrics {
  readonly registry: Registry;
  /** The text exposition, for GET /metrics. */
  text(): Promise<string>;
  readonly contentType: string;
  /** Unsubscribes from the engine. */
  close(): void;
}

export interface MetricsOptions {
  readonly notifier?: Pick<Notifier, 'stats' | 'channels'>;
  /** Process metrics (CPU, memory, event loop, handles); default true. */
  readonly processMetrics?: boolean;
}

const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'cancelled', 'dry_run', 'shadowed']);

export function createMetrics(engine: EngineApi, opts: MetricsOptions = {}): EngineMetrics {
  const registry = new Registry();
  if (opts.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total: `promtool check metrics` (rightly) rejects them; the handle counts by type stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const r = [registry];

  const problems = new Counter({ name: 'medic_problems_detected_total', help: 'Problems detected (incidents opened), by rule and severity.', labelNames: ['rule', 'severity'], registers: r });
  const executions = new Counter({ name: 'medic_executions_total', help: 'Executions that ended, by runbook and final status.', labelNames: ['runbook', 'status'], registers: r });
  const duration = new Histogram({
    name: 'medic_execution_duration_seconds', help: 'Time from an execution starting to its end, by runbook.', labelNames: ['runbook'], registers: r,
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
  });
  const rollbacks = new Counter({ name: 'medic_rollbacks_total', help: 'Rollbacks, by runbook and result (succeeded or failed).', labelNames: ['runbook', 'result'], registers: r });
  const ttr = new Histogram({
    name: 'medic_time_to_recover_seconds', help: 'Time from an incident opening to its resolution.', registers: r,
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600],
  });
  const alerts = new Counter({ name: 'medic_alerts_received_total', help: 'Alerts received by the intake, by source.', labelNames: ['source'], registers: r });
  const heldBack = new Counter({
    name: 'medic_problems_held_back_total', labelNames: ['rule', 'why'], registers: r,
    help: 'Rules that fired and opened no incident: medic_acting (a step of Medic\'s own, or its settle) or inhibited (a cause is open).',
  });
  const deduplicated = new Counter({ name: 'medic_alerts_deduplicated_total', help: 'Received alerts that repeated what was known (re-sends, retries, HA pairs, stale).', registers: r });
  const unrouted = new Counter({ name: 'medic_alerts_unrouted_total', help: 'Received alerts that matched no intake route, by source.', labelNames: ['source'], registers: r });

  new Gauge({
    name: 'medic_incidents_open', help: 'Incidents not yet resolved, by severity.', labelNames: ['severity'], registers: r,
    collect() {
      this.reset();
      const counts = countBySeverity(engine.activeIncidents());
      for (const s of SEVERITIES) this.set({ severity: s }, counts[s]);
    },
  });
  new Gauge({
    name: 'medic_approvals_pending', help: 'Executions waiting for a person\'s approval.', registers: r,
    async collect() {
      const page = await engine.listExecutions({ status: ['awaiting_approval'], limit: 0 });
      this.set(page.total);
    },
  });
  new Gauge({
    name: 'medic_circuit_breaker_open', help: 'Circuit breakers per runbook and target key: 1 open, 0 closed.', labelNames: ['key'], registers: r,
    collect() {
      this.reset();
      for (const b of engine.breakerList()) this.set({ key: b.key }, b.state === 'open' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'medic_health_score', help: 'Health score 0-100, overall and per component.', labelNames: ['component'], registers: r,
    async collect() {
      this.reset();
      const h = await engine.healthScore();
      this.set({ component: 'overall' }, h.score);
      for (const [c, v] of Object.entries(h.components)) this.set({ component: c }, v);
    },
  });

  // The audit head outside the database: a scraper that keeps its history sees a cut tail as seq going down.
  new Gauge({
    name: 'medic_audit_head_seq', help: 'Seq of the newest audit log entry; it only ever grows.', registers: r,
    async collect() {
      this.set((await engine.auditHead()).seq);
    },
  });
  new Gauge({
    name: 'medic_audit_checkpoint_seq', help: 'Seq of the newest signed audit checkpoint (0: none yet).', registers: r,
    async collect() {
      this.set((await engine.auditHead()).checkpoint?.seq ?? 0);
    },
  });

  if (opts.notifier) notificationMetrics(opts.notifier, r);

  // Whether an undo failed in the rollback each execution is in: what the transition out of rolling_back
  // cannot tell (failed is also where a successful undo of the last strategy ends).
  const undoFailed = new Map<string, boolean>();
  const offs = [
    engine.on('step:finished', ({ execution, step }) => {
      if (step.phase !== 'rollback') return;
      undoFailed.set(execution.id, (undoFailed.get(execution.id) ?? false) || step.status === 'rollback_failed');
    }),
    engine.on('incident:opened', ({ incident }) => problems.inc({ rule: incident.rule, severity: incident.severity })),
    engine.on('problem:held_back', (e) => heldBack.inc({ rule: e.rule, why: e.why })),
    engine.on('incident:resolved', ({ incident }) => {
      if (incident.resolvedAt !== null) ttr.observe(Math.max(0, incident.resolvedAt - incident.openedAt) / 1000);
    }),
    engine.on('execution:created', ({ execution }) => {
      // Dry runs and shadowed plans are born finished.
      if (TERMINAL.has(execution.status)) executions.inc({ runbook: execution.runbook, status: execution.status });
    }),
    engine.on('execution:transition', ({ execution, from }) => {
      if (from === 'rolling_back') {
        // No undo seen (a rollback resumed after a restart): judge by where it went.
        const failed = undoFailed.get(execution.id) ?? execution.status === 'failed';
        undoFailed.delete(execution.id);
        rollbacks.inc({ runbook: execution.runbook, result: failed ? 'failed' : 'succeeded' });
      }
      if (!TERMINAL.has(execution.status) || TERMINAL.has(from)) return;
      executions.inc({ runbook: execution.runbook, status: execution.status });
      if (execution.startedAt !== null) {
        duration.observe({ runbook: execution.runbook }, Math.max(0, (execution.finishedAt ?? engine.now()) - execution.startedAt) / 1000);
      }
    }),
    engine.on('alerts:received', (e) => {
      alerts.inc({ source: e.source }, e.received);
      if (e.deduplicated > 0) deduplicated.inc(e.deduplicated);
      if (e.unrouted > 0) unrouted.inc({ source: e.source }, e.unrouted);
    }),
  ];
  // Sources with nothing yet still show up (at 0), so alerting rules and dashboards have a series to read.
  for (const source of ['alertmanager', 'webhook']) {
    alerts.inc({ source }, 0);
    unrouted.inc({ source }, 0);
  }

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    close: () => {
      for (const off of offs) off();
      registry.clear();
    },
  };
}

/** Delivery outcomes per channel, from the notifier's own counts. */
function notificationMetrics(notifier: Pick<Notifier, 'stats' | 'channels'>, r: Registry[]): void {
  const seen = new Map<string, number>();
  /** Counters only go up: add what the notifier counted since the last scrape. */
  const delta = (key: string, now: number): number => {
    const before = seen.get(key) ?? 0;
    seen.set(key, now);
    return Math.max(0, now - before);
  };
  new Counter({
    name: 'medic_notifications_total', help: 'Notification deliveries by channel and result (sent, failed after retries, dropped on a full queue).',
    labelNames: ['channel', 'type', 'result'], registers: r,
    collect() {
      const stats = notifier.stats();
      for (const { name, type } of notifier.channels()) {
        const s = stats[name];
        if (!s) continue;
        for (const result of ['sent', 'failed', 'dropped'] as const) this.inc({ channel: name, type, result }, delta(`${name}\u0000${result}`, s[result]));
      }
    },
  });
  new Counter({
    name: 'medic_notification_retries_total', help: 'Delivery attempts that failed and were tried again, by channel.', labelNames: ['channel'], registers: r,
    collect() {
      const stats = notifier.stats();
      for (const { name } of notifier.channels()) this.inc({ channel: name }, delta(`${name}\u0000retried`, stats[name]?.retried ?? 0));
    },
  });
}

function countBySeverity(incidents: readonly Incident[]): Record<Severity, number> {
  const out: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
  for (const i of incidents) if (i.status !== 'resolved' && i.status !== 'failed') out[i.severity]++;
  return out;
}
