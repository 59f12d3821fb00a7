/**
 * The condition language of rules, verify checks and step `when`s, compiled.
 * A leaf reduces a window of one signal to a number and compares it; `all`
 * and `any` combine leaves. Evaluation lives in ./evaluate.ts.
 */
export const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne'] as const;
export type Op = (typeof OPS)[number];

/** Reduce the window's values to one number. */
export const PLAIN_FNS = ['last', 'avg', 'min', 'max', 'sum', 'count', 'rate', 'delta', 'p95', 'p99'] as const;
export type PlainFn = (typeof PLAIN_FNS)[number];
/** Fit a least-squares line through the window (./forecast.ts); they come with an R² confidence. */
export const FIT_FNS = ['slope_per_hour', 'growth_percent_per_hour', 'time_to_threshold'] as const;
export type FitFn = (typeof FIT_FNS)[number];

export const WINDOW_FNS = [...PLAIN_FNS, ...FIT_FNS, 'anomaly_score'] as const;
export type WindowFn = (typeof WINDOW_FNS)[number];

export function isFitFn(fn: WindowFn): fn is FitFn {
  return (FIT_FNS as readonly string[]).includes(fn);
}

/** Which way time_to_threshold expects the signal to cross: up to an upper limit, or down to a lower one. */
export const DIRECTIONS = ['rising', 'falling'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export interface ValueExpr {
  readonly signal: string;
  readonly fn: WindowFn;
  /** Time window in ms; with neither window nor samples only the last sample counts. */
  readonly windowMs?: number;
  /** Count window: the last N samples, and the leaf holds only once N exist. */
  readonly samples?: number;
  /** Only samples whose labels contain these pairs. */
  readonly labels?: Readonly<Record<string, string>>;
  /** time_to_threshold: the level whose crossing is forecast (e.g. 95 for a disk's used %). */
  readonly thresholdValue?: number;
  /** time_to_threshold: `rising` (default) towards an upper limit, `falling` towards a lower one. */
  readonly direction?: Direction;
  /** Fit functions: the value is unknown while the fit's R² is below this (0..1). */
  readonly minConfidence?: number;
  /** anomaly_score: EWMA smoothing factor of the baseline, 0 < alpha <= 1. */
  readonly alpha?: number;
  /** anomaly_score: the value is unknown until the window holds this many samples. */
  readonly warmup?: number;
}

export type Condition =
  | { readonly kind: 'compare'; readonly value: ValueExpr; readonly op: Op; readonly threshold: number }
  | { readonly kind: 'all'; readonly of: readonly Condition[] }
  | { readonly kind: 'any'; readonly of: readonly Condition[] };

export function compare(op: Op, a: number, b: number): boolean {
  switch (op) {
    case 'gt': return a > b;
    case 'gte': return a >= b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'eq': return a === b;
    case 'ne': return a !== b;
  }
}

export const OP_SYMBOL: Record<Op, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '==', ne: '!=' };

/** Every signal name a condition reads: the engine uses it to know what to watch. */
export function signalsOf(c: Condition): string[] {
  if (c.kind === 'compare') return [c.value.signal];
  return [...new Set(c.of.flatMap(signalsOf))];
}

/**
 * The longest time window a condition reads, in ms (0 when it reads none):
 * whatever keeps samples for the rules must keep at least this much, or a
 * trend over 2 h fitted to 15 min of samples stays unknown for ever.
 */
export function longestWindowMs(c: Condition): number {
  if (c.kind === 'compare') return c.value.windowMs ?? 0;
  return Math.max(0, ...c.of.map(longestWindowMs));
}
