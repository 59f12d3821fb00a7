import { signalsOf } from '../core/condition.js';
import type { Point } from '../core/window.js';
import type { CompiledRule } from '../config/types.js';
import type { Store } from '../store/types.js';
import { OperationError } from '../core/operation-error.js';
import type { SignalBuffer } from '../core/signals.js';

export interface SignalSeries {
  readonly name: string;
  readonly points: { at: number; value: number }[];
}

const MAX_SPAN_MS = 7 * 24 * 3_600_000;
const MAX_POINTS = 2_000;

/**
 * The signal history of an incident's target around it, for the chart: from
 * `beforeMs` before its opening to `afterMs` after it (or after its
 * resolution, while it lasted longer). The rule's own signals come first.
 * Samples come from the store and the in-memory buffer (which holds what
 * the store has not been sent yet), merged; long series are thinned evenly.
 */
export async function signalsAround(
  deps: { store: Store; buffer: SignalBuffer; rules: ReadonlyMap<string, CompiledRule> },
  incidentId: string, beforeMs: number, afterMs: number,
): Promise<{ series: SignalSeries[] }> {
  for (const [field, v] of [['before', beforeMs], ['after', afterMs]] as const) {
    if (!Number.isSafeInteger(v) || v < 0 || v > MAX_SPAN_MS) throw new OperationError('bad_request', `${field}: must be whole milliseconds from 0 to ${MAX_SPAN_MS}`, { field });
  }
  const incident = await deps.store.incidents.get(incidentId);
  if (!incident) throw new OperationError('not_found', `no incident ${incidentId}`);
  const from = incident.openedAt - beforeMs;
  const until = Math.max(incident.openedAt, incident.resolvedAt ?? incident.openedAt) + afterMs;
  const rule = deps.rules.get(incident.rule);
  const ruleSignals = rule ? [...new Set(rule.bands.flatMap((b) => signalsOf(b.condition)))] : [];
  const names = [...new Set([...ruleSignals, ...deps.buffer.names(incident.target).sort()])];
  const series: SignalSeries[] = [];
  for (const name of names) {
    const byAt = new Map<number, number>();
    for (const s of await deps.store.signals.query(incident.target, name, from)) if (s.at <= until) byAt.set(s.at, s.value);
    for (const p of deps.buffer.points(incident.target, name)) if (p.at >= from && p.at <= until) byAt.set(p.at, p.value);
    const points = [...byAt].sort((a, b) => a[0] - b[0]).map(([at, value]) => ({ at, value }));
    if (points.length > 0 || ruleSignals.includes(name)) series.push({ name, points: thin(points) });
  }
  return { series };
}

function thin(points: Point[]): { at: number; value: number }[] {
  if (points.length <= MAX_POINTS) return points;
  const step = points.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => points[Math.floor(i * step)]!);
}
