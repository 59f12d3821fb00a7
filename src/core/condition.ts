/**
 * The condition language of rules, verify checks and step `when`s, compiled.
 * A leaf reduces a window of one signal to a number and compares it; `all`
 * and `any` combine leaves. Evaluation lives in ./evaluate.ts.
 */
export const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne'] as const;
export type Op = (typeof OPS)[number];

export const WINDOW_FNS = ['last', 'avg', 'min', 'max', 'sum', 'count', 'rate', 'delta', 'p95', 'p99'] as const;
export type WindowFn = (typeof WINDOW_FNS)[number];

export interface ValueExpr {
  readonly signal: string;
  readonly fn: WindowFn;
  /** Time window in ms; with neither window nor samples only the last sample counts. */
  readonly windowMs?: number;
  /** Count window: the last N samples, and the leaf holds only once N exist. */
  readonly samples?: number;
  /** Only samples whose labels contain these pairs. */
  readonly labels?: Readonly<Record<string, string>>;
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
