import { anomalyScore } from './anomaly.js';
import { isFitFn, type PlainFn, type ValueExpr } from './condition.js';
import { readFit, type Reading } from './forecast.js';

export type { Reading } from './forecast.js';

export interface Point {
  readonly at: number;
  readonly value: number;
}

/**
 * Where conditions read their series from: one target's samples of one signal,
 * oldest first. A sample with a `replica` label belongs to that replica's own
 * series: a read whose `labels` name no replica sees only the group's samples
 * (those without the label).
 */
export interface SeriesSource {
  points(target: string, signal: string, labels?: Readonly<Record<string, string>>): readonly Point[];
  /** The replicas that have samples of this signal on the target; none for a signal reported for the group only. */
  replicas?(target: string, signal: string): readonly string[];
}

export interface WindowScope {
  readonly target: string;
  readonly now: number;
  /** Samples before this are ignored: the settle reset after an action, or the start of a verify. */
  readonly since: number;
  /**
   * Verify reads only what arrived after the action: a count window then
   * makes do with the samples there are (at least one) instead of waiting for N.
   */
  readonly partialCountWindows?: boolean;
  /**
   * Judge one replica of a group: a signal reported per replica is read from
   * that replica's series, one reported for the group only from the group's.
   */
  readonly replica?: string;
}

/** Selects the samples a value expression looks at; undefined when there are not enough. */
export function selectPoints(series: readonly Point[], expr: ValueExpr, scope: WindowScope): readonly Point[] | undefined {
  const lower = expr.windowMs !== undefined ? Math.max(scope.since, scope.now - expr.windowMs) : scope.since;
  // Points from the future (a clock that went backwards) are not evidence of now.
  const usable = series.filter((p) => p.at >= lower && p.at <= scope.now);
  if (usable.length === 0) return undefined;
  if (expr.samples !== undefined) {
    if (usable.length < expr.samples) return scope.partialCountWindows ? usable : undefined;
    return usable.slice(-expr.samples);
  }
  if (expr.windowMs === undefined) return usable.slice(-1);
  return usable;
}

const NO_DATA: Reading = { value: undefined, reason: 'no data' };

/** What the expression's function makes of the selected points; `now` is where forecasts start from. */
export function readWindow(expr: ValueExpr, points: readonly Point[], now: number): Reading {
  if (isFitFn(expr.fn)) {
    return readFit(expr.fn, points, { now, windowMs: expr.windowMs, thresholdValue: expr.thresholdValue, direction: expr.direction });
  }
  if (expr.fn === 'anomaly_score') return anomalyScore(points, { alpha: expr.alpha, warmup: expr.warmup });
  const value = reduce(expr.fn, points);
  return value === undefined || Number.isNaN(value) ? NO_DATA : { value };
}

export function reduce(fn: PlainFn, points: readonly Point[]): number | undefined {
  if (points.length === 0) return undefined;
  const values = points.map((p) => p.value);
  switch (fn) {
    case 'last': return values[values.length - 1];
    case 'avg': return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min': return Math.min(...values);
    case 'max': return Math.max(...values);
    case 'sum': return values.reduce((a, b) => a + b, 0);
    case 'count': return values.length;
    case 'delta': return counterIncrease(values);
    case 'rate': {
      if (points.length < 2) return undefined;
      const seconds = (points[points.length - 1]!.at - points[0]!.at) / 1000;
      return seconds > 0 ? counterIncrease(values) / seconds : undefined;
    }
    case 'p95': return quantile(values, 0.95);
    case 'p99': return quantile(values, 0.99);
  }
}

/** Increase of a counter across the points; a drop is a reset (like PromQL's increase()). */
function counterIncrease(values: readonly number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!;
    total += d >= 0 ? d : values[i]!;
  }
  return total;
}

/** Linear interpolation between closest ranks, as numpy's default. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function describeExpr(expr: ValueExpr): string {
  const over = expr.samples !== undefined ? `last ${expr.samples}` : expr.windowMs !== undefined ? `${expr.windowMs / 1000}s` : null;
  const level = expr.fn === 'time_to_threshold' && expr.thresholdValue !== undefined
    ? `${expr.thresholdValue}${expr.direction === 'falling' ? ' falling' : ''}`
    : null;
  const args = [expr.signal, over, level].filter((a) => a !== null);
  return expr.fn === 'last' && args.length === 1 ? expr.signal : `${expr.fn}(${args.join(', ')})`;
}
