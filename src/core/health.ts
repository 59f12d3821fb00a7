import type { Severity } from './severity.js';

/**
 * The health score: 0–100, overall and per component, from the incidents open
 * at a moment, each taking points off by severity:
 *
 *   P0 −50, P1 −25, P2 −10, P3 −3   (floored at 0)
 *
 * A component's score counts its own incidents; the overall score counts them
 * all (so one P0 anywhere reads 50 overall, not a diluted average). Silenced
 * incidents count too: a silence stops the engine acting, it does not make
 * the system healthier.
 */
export const COMPONENTS = ['compute', 'network', 'storage', 'database', 'security'] as const;
export type Component = (typeof COMPONENTS)[number];

export const SEVERITY_WEIGHTS: Readonly<Record<Severity, number>> = { P0: 50, P1: 25, P2: 10, P3: 3 };

export interface HealthIncident {
  readonly severity: Severity;
  readonly component: Component;
  readonly openedAt: number;
  /** null while still open. */
  readonly resolvedAt: number | null;
}

export interface HealthScore {
  readonly score: number;
  readonly components: Record<Component, number>;
}

/**
 * The component a rule belongs to, from the signals it reads: the first
 * signal whose name marks a database, storage, network or security probe
 * decides; anything else (cpu, memory, processes) is compute.
 */
const SIGNAL_COMPONENTS: readonly [RegExp, Component][] = [
  [/^(postgres|pg|mysql|mariadb|redis|innodb|sql)_|^(slow_queries|longest_query_seconds|connections_used_percent|cache_hit_ratio|deadlocks|threads_connected|max_connections|evicted_keys|connected_clients|used_memory)$/, 'database'],
  [/^(disk|fs|files?|inode|volume)_/, 'storage'],
  [/^(tls|cert|drift|vuln|cve|audit)_|^(drift|vulnerabilities)$/, 'security'],
  [/^(http|tcp|dns|net|latency|scrape)_|^(error_ratio|request_rate|errors|requests)$/, 'network'],
];

export function componentOfSignals(signals: readonly string[]): Component {
  for (const s of signals) {
    for (const [re, c] of SIGNAL_COMPONENTS) if (re.test(s)) return c;
  }
  return 'compute';
}

export function isComponent(v: unknown): v is Component {
  return typeof v === 'string' && (COMPONENTS as readonly string[]).includes(v);
}

export function openAt(i: HealthIncident, t: number): boolean {
  return i.openedAt <= t && (i.resolvedAt === null || i.resolvedAt > t);
}

export function scoreAt(incidents: readonly HealthIncident[], t: number): HealthScore {
  const lost = { compute: 0, network: 0, storage: 0, database: 0, security: 0 } as Record<Component, number>;
  let total = 0;
  for (const i of incidents) {
    if (!openAt(i, t)) continue;
    lost[i.component] += SEVERITY_WEIGHTS[i.severity];
    total += SEVERITY_WEIGHTS[i.severity];
  }
  const clamp = (n: number) => Math.max(0, 100 - n);
  return {
    score: clamp(total),
    components: Object.fromEntries(COMPONENTS.map((c) => [c, clamp(lost[c])])) as Record<Component, number>,
  };
}

/** The overall score every `stepMs` from `from` to `to` (both included, `to` last even off the step). */
export function scoreSeries(incidents: readonly HealthIncident[], from: number, to: number, stepMs: number): { at: number; score: number }[] {
  const out: { at: number; score: number }[] = [];
  for (let t = from; t < to; t += stepMs) out.push({ at: t, score: scoreAt(incidents, t).score });
  out.push({ at: to, score: scoreAt(incidents, to).score });
  return out;
}
