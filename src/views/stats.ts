import { signalsOf } from '../core/condition.js';
import { componentOfSignals, isComponent, scoreAt, scoreSeries, type Component, type HealthIncident } from '../core/health.js';
import type { Incident } from '../core/records.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { outcomes, perRunbook, type Outcomes, type RecoveryRow } from '../core/stats.js';
import type { CompiledRule } from '../config/types.js';
import type { Store } from '../store/types.js';
import { OperationError } from '../core/operation-error.js';

export const STATS_WINDOWS = { '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000, '30d': 30 * 24 * 3_600_000 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

export type StatsView = { readonly window: StatsWindow; readonly detected: number } & Outcomes & {
  readonly perRunbook: (Outcomes & { readonly runbook: string })[];
};

export interface IncidentStatsView {
  readonly byRule: Record<string, number>;
  readonly bySeverity: Record<Severity, number>;
  readonly byStatus: Record<string, number>;
  readonly total: number;
}

export interface HealthScoreView {
  readonly score: number;
  readonly components: Record<Component, number>;
  readonly series: { at: number; score: number }[];
}

const DAY = 24 * 3_600_000;
const SERIES_STEP_MS = 15 * 60_000;
/** How far back the series looks for incidents still open 24 h ago: an older one resolved since is missed. */
const SERIES_LOOKBACK_MS = 7 * DAY;

/** Counts and MTTR over a window ending now, from stored executions (created in it) and incidents (opened in it). */
export async function stats(store: Store, window: unknown, now: number): Promise<StatsView> {
  if (typeof window !== 'string' || !Object.hasOwn(STATS_WINDOWS, window)) {
    throw new OperationError('bad_request', `window: must be one of ${Object.keys(STATS_WINDOWS).join(', ')}`, { field: 'window' });
  }
  const w = window as StatsWindow;
  const since = now - STATS_WINDOWS[w];
  const [executions, detected] = await Promise.all([
    store.executions.list({ since, until: now + 1, order: 'asc' }),
    store.incidents.list({ since, until: now + 1, limit: 1 }),
  ]);
  const recoveries: RecoveryRow[] = [];
  const seen = new Set<string>();
  for (const e of executions.items) {
    if (e.status !== 'succeeded' || e.incidentId === null || seen.has(e.incidentId)) continue;
    seen.add(e.incidentId);
    const i = await store.incidents.get(e.incidentId);
    if (i?.status === 'resolved' && i.resolvedAt !== null) recoveries.push({ runbook: e.runbook, ttrMs: i.resolvedAt - i.openedAt });
  }
  return { window: w, detected: detected.total, ...outcomes(executions.items, recoveries), perRunbook: perRunbook(executions.items, recoveries) };
}

export async function incidentStats(store: Store, range: { since?: number; until?: number }): Promise<IncidentStatsView> {
  for (const k of ['since', 'until'] as const) {
    const v = range[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new OperationError('bad_request', `${k}: must be epoch milliseconds`, { field: k });
  }
  const page = await store.incidents.list({ since: range.since, until: range.until });
  const byRule: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const i of page.items) {
    byRule[i.rule] = (byRule[i.rule] ?? 0) + 1;
    byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    bySeverity[i.severity] += 1;
  }
  return { byRule, bySeverity, byStatus, total: page.total };
}

/**
 * An incident's component: its own `component` label (alerts carry their
 * own), else its rule's `component` field, else the rule's `component`
 * label, else what the rule's signals say (src/core/health.ts).
 */
export function componentOf(incident: Pick<Incident, 'rule' | 'labels'>, rule: CompiledRule | undefined): Component {
  if (isComponent(incident.labels['component'])) return incident.labels['component'];
  if (rule?.component) return rule.component;
  if (rule && isComponent(rule.labels['component'])) return rule.labels['component'];
  return componentOfSignals(rule ? rule.bands.flatMap((b) => signalsOf(b.condition)) : [incident.rule]);
}

export async function healthScore(store: Store, rules: ReadonlyMap<string, CompiledRule>, now: number): Promise<HealthScoreView> {
  const from = now - DAY;
  const [active, recent] = await Promise.all([
    store.incidents.list({ status: ['open', 'remediating', 'awaiting_approval', 'escalated'] }),
    store.incidents.list({ since: from - SERIES_LOOKBACK_MS }),
  ]);
  const byId = new Map<string, Incident>();
  for (const i of [...recent.items, ...active.items]) byId.set(i.id, i);
  const rows: HealthIncident[] = [...byId.values()].map((i) => ({
    severity: i.severity, component: componentOf(i, rules.get(i.rule)), openedAt: i.openedAt,
    // An incident that ended without a resolution time (failed) stops counting when it was last updated.
    resolvedAt: i.resolvedAt ?? (i.status === 'resolved' || i.status === 'failed' ? i.updatedAt : null),
  }));
  const nowScore = scoreAt(rows, now);
  return { ...nowScore, series: scoreSeries(rows, from, now, SERIES_STEP_MS) };
}
