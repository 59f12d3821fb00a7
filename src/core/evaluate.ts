import { compare, OP_SYMBOL, type Condition, type ValueExpr, type WindowFn } from './condition.js';
import { REPLICA_LABEL } from './fingerprint.js';
import { describeExpr, readWindow, selectPoints, type SeriesSource, type WindowScope } from './window.js';

export interface Evaluation {
  readonly holds: boolean;
  /** False when some leaf had no samples to look at, or a forecast too unsure to use: "unknown", which never holds. */
  readonly known: boolean;
  /**
   * The value of the first compared expression, for the incident's record.
   * Null when unknown, and for a forecast that never crosses (Infinity, which
   * records and JSON cannot hold; the explanation says "never").
   */
  readonly value: number | null;
  /** The R² of the trend behind `value`, for the fit functions (slope_per_hour, growth_percent_per_hour, time_to_threshold). */
  readonly confidence?: number;
  /** For a person: "max(http_up, last 3) = 0 < 1", "time_to_threshold(disk, 7200s, 95) = 3.2 h < 4 (R² 0.97)". */
  readonly explain: string;
}

/** The labels a leaf reads with: its own, plus the replica being judged when the signal has per-replica series. */
function scopedLabels(expr: ValueExpr, source: SeriesSource, scope: WindowScope): Readonly<Record<string, string>> | undefined {
  if (scope.replica === undefined || expr.labels?.[REPLICA_LABEL] !== undefined) return expr.labels;
  if ((source.replicas?.(scope.target, expr.signal) ?? []).length === 0) return expr.labels;
  return { ...expr.labels, [REPLICA_LABEL]: scope.replica };
}

export function evaluate(cond: Condition, source: SeriesSource, scope: WindowScope): Evaluation {
  if (cond.kind === 'compare') {
    const expr = cond.value;
    const points = selectPoints(source.points(scope.target, expr.signal, scopedLabels(expr, source, scope)), expr, scope);
    const reading = points ? readWindow(expr, points, scope.now) : undefined;
    const label = describeExpr(expr);
    if (reading?.value === undefined) {
      return { holds: false, known: false, value: null, explain: `${label}: ${reading?.reason ?? 'no data'}` };
    }
    const { value, confidence } = reading;
    const shown = `${label} = ${show(expr.fn, value)}`;
    const withR2 = confidence !== undefined ? { confidence } : {};
    // Forecast-driven rules act only on a line that explains the data well enough.
    if (confidence !== undefined && expr.minConfidence !== undefined && confidence < expr.minConfidence) {
      return {
        holds: false, known: false, value: null, ...withR2,
        explain: `${shown}, but R² ${r2(confidence)} < ${expr.minConfidence}: not confident`,
      };
    }
    const holds = compare(cond.op, value, cond.threshold);
    return {
      holds,
      known: true,
      value: Number.isFinite(value) ? value : null,
      ...withR2,
      explain: `${shown} ${holds ? '' : 'not '}${OP_SYMBOL[cond.op]} ${cond.threshold}${confidence !== undefined ? ` (R² ${r2(confidence)})` : ''}`,
    };
  }
  const parts = cond.of.map((c) => evaluate(c, source, scope));
  const holds = cond.kind === 'all' ? parts.every((p) => p.holds) : parts.some((p) => p.holds);
  const known = cond.kind === 'all' ? parts.every((p) => p.known) : parts.some((p) => p.known);
  // The value shown on the incident is the one that made it hold.
  const first = (cond.kind === 'any' ? parts.find((p) => p.holds) : undefined) ?? parts.find((p) => p.value !== null);
  return {
    holds,
    known,
    value: first?.value ?? null,
    ...(first?.confidence !== undefined ? { confidence: first.confidence } : {}),
    explain: parts.map((p) => p.explain).join(cond.kind === 'all' ? ' and ' : ' or '),
  };
}

const UNITS: Partial<Record<WindowFn, string>> = {
  slope_per_hour: '/h',
  growth_percent_per_hour: ' %/h',
  time_to_threshold: ' h',
};

function show(fn: WindowFn, v: number): string {
  if (!Number.isFinite(v)) return 'never';
  return `${round(v)}${UNITS[fn] ?? ''}`;
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

function r2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** A condition as a person reads it: "avg(cpu, 60s) > 85", "all(...)". */
export function describeCondition(cond: Condition): string {
  if (cond.kind === 'compare') return `${describeExpr(cond.value)} ${OP_SYMBOL[cond.op]} ${cond.threshold}`;
  return `${cond.kind}(${cond.of.map(describeCondition).join(', ')})`;
}
