import { DEFAULT_ALPHA, DEFAULT_WARMUP } from '../core/anomaly.js';
import { FIT_FNS, isFitFn, OP_SYMBOL, OPS, type Condition, type Op, type ValueExpr, type WindowFn } from '../core/condition.js';
import { MIN_FIT_POINTS } from '../core/forecast.js';
import { severityRank } from '../core/severity.js';
import type { SeverityBand } from './types.js';
import type { PathSegment } from './errors.js';
import type { IssueList } from './issues.js';
import { labelsOf, ms, type OpFields, type RawBand, type RawCondition, type RawValue } from './primitives.js';

/**
 * Compiles the condition language of rules, verify checks and step `when`s
 * (schema in ./primitives.ts) into src/core/condition.ts's Condition. Problems
 * go to `issues` with their path; the result is then not used, so a best
 * effort value is returned to keep finding further mistakes.
 */
export function compileCondition(raw: RawCondition, path: readonly PathSegment[], issues: IssueList): Condition {
  const combinator = raw.all !== undefined ? 'all' : raw.any !== undefined ? 'any' : null;
  if (combinator) {
    if (raw.all !== undefined && raw.any !== undefined) {
      issues.add(path, "give either 'all' or 'any', not both (nest one inside the other to combine them)");
    }
    const stray = LEAF_KEYS.filter((k) => raw[k] !== undefined);
    if (stray.length > 0) {
      issues.add(path, `'${combinator}' cannot be combined with ${stray.map((k) => `'${k}'`).join(', ')}: put the comparison inside the list`);
    }
    const list = raw[combinator] ?? [];
    return { kind: combinator, of: list.map((c, i) => compileCondition(c, [...path, combinator, i], issues)) };
  }
  if (raw.signal === undefined) {
    issues.add(path, "missing required field 'signal' (or use 'all' / 'any')");
  }
  const value = compileValue({ ...raw, signal: raw.signal ?? '' }, path, issues);
  const [op, threshold] = oneComparison(raw, path, issues);
  return { kind: 'compare', value, op, threshold };
}

const PARAM_KEYS = ['threshold_value', 'direction', 'min_confidence', 'alpha', 'warmup'] as const;
const LEAF_KEYS = ['signal', 'fn', 'window', 'samples', 'labels', ...PARAM_KEYS, ...OPS] as const;

/** Which functions read each parameter field. */
const PARAM_FNS: Record<(typeof PARAM_KEYS)[number], readonly WindowFn[]> = {
  threshold_value: ['time_to_threshold'],
  direction: ['time_to_threshold'],
  min_confidence: FIT_FNS,
  alpha: ['anomaly_score'],
  warmup: ['anomaly_score'],
};

export function compileValue(raw: RawValue, path: readonly PathSegment[], issues: IssueList): ValueExpr {
  const fn = raw.fn ?? 'last';
  if (raw.window !== undefined && raw.samples !== undefined) {
    issues.add(path, "give either 'window' (a time) or 'samples' (a count), not both");
  }
  if (fn !== 'last' && raw.window === undefined && raw.samples === undefined) {
    issues.add(path, `fn '${fn}' reads a window: add 'window' (e.g. 1m) or 'samples' (e.g. 3)`);
  }
  const windowMs = raw.window === undefined ? undefined : ms(raw.window, 0);
  if (windowMs === 0) issues.add([...path, 'window'], 'must be longer than 0');
  checkFnParams(fn, raw, path, issues);
  const anomaly = fn === 'anomaly_score';
  return {
    signal: raw.signal,
    fn,
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(raw.samples !== undefined ? { samples: raw.samples } : {}),
    ...(raw.labels !== undefined ? { labels: labelsOf(raw.labels) } : {}),
    ...(fn === 'time_to_threshold' ? { thresholdValue: raw.threshold_value ?? 0, direction: raw.direction ?? 'rising' } : {}),
    ...(isFitFn(fn) && raw.min_confidence !== undefined ? { minConfidence: raw.min_confidence } : {}),
    ...(anomaly ? { alpha: raw.alpha ?? DEFAULT_ALPHA, warmup: raw.warmup ?? DEFAULT_WARMUP } : {}),
  };
}

/** Each function's parameters belong to it alone, and a count window must be able to satisfy it. */
function checkFnParams(fn: WindowFn, raw: RawValue, path: readonly PathSegment[], issues: IssueList): void {
  for (const key of PARAM_KEYS) {
    if (raw[key] !== undefined && !PARAM_FNS[key].includes(fn)) {
      issues.add([...path, key], `'${key}' is read only by ${PARAM_FNS[key].join(', ')}, not by fn '${fn}'`);
    }
  }
  if (fn === 'time_to_threshold' && raw.threshold_value === undefined) {
    issues.add(path, "fn 'time_to_threshold' needs 'threshold_value': the level whose crossing it forecasts (e.g. 95)");
  }
  if (isFitFn(fn) && raw.samples !== undefined && raw.samples < MIN_FIT_POINTS) {
    issues.add([...path, 'samples'], `fn '${fn}' fits a line through at least ${MIN_FIT_POINTS} samples: ${raw.samples} would never be enough`);
  }
  const warmup = raw.warmup ?? DEFAULT_WARMUP;
  if (fn === 'anomaly_score' && raw.samples !== undefined && raw.samples < warmup) {
    issues.add([...path, 'samples'], `fn 'anomaly_score' is unknown until ${warmup} samples (warmup): ${raw.samples} would never get there`);
  }
}

function oneComparison(raw: OpFields, path: readonly PathSegment[], issues: IssueList): [Op, number] {
  const ops = OPS.filter((op) => raw[op] !== undefined);
  const first = ops[0];
  if (first === undefined) {
    issues.add(path, 'needs one comparison: gt, gte, lt, lte, eq or ne');
    return ['gt', 0];
  }
  if (ops.length > 1) {
    issues.add(path, `has ${ops.join(' and ')}: give exactly one comparison (combine several with 'all')`);
  }
  return [first, raw[first] ?? 0];
}

/**
 * `value` + `bands`: each band compares the one value. Bands are checked in
 * the order written and the first that holds gives the severity, so the most
 * severe band must come first; otherwise a P2 band `> 80` written before a P1
 * band `> 90` would swallow every P1. Bands a more severe band always
 * shadows (P1 `> 80` before P2 `> 90`) can never fire and are rejected too.
 */
export function compileBands(
  value: RawValue,
  bands: readonly RawBand[],
  path: readonly PathSegment[],
  issues: IssueList,
): SeverityBand[] {
  const expr = compileValue(value, [...path, 'value'], issues);
  const compiled = bands.map((band, i) => {
    const [op, threshold] = oneComparison(band, [...path, 'bands', i], issues);
    return { severity: band.severity, op, threshold };
  });
  if (compiled.length === 0) issues.add([...path, 'bands'], 'needs at least one band');
  compiled.forEach((b, j) => {
    for (let i = 0; i < j; i++) {
      const a = compiled[i]!;
      if (severityRank(b.severity) < severityRank(a.severity)) {
        issues.add([...path, 'bands', j], `bands must go from most to least severe: ${b.severity} comes after ${a.severity} (bands[${i}])`);
        return;
      }
      if (shadows(a, b)) {
        issues.add([...path, 'bands', j], `${b.severity} ${OP_SYMBOL[b.op]} ${b.threshold} can never apply: ${a.severity} ${OP_SYMBOL[a.op]} ${a.threshold} (bands[${i}]) already holds whenever it does`);
        return;
      }
    }
  });
  return compiled.map((b) => ({
    severity: b.severity,
    condition: { kind: 'compare', value: expr, op: b.op, threshold: b.threshold },
  }));
}

interface Cmp { readonly op: Op; readonly threshold: number }

/** Does `a` hold for every value for which `b` holds (so `b`, checked later, is dead)? */
function shadows(a: Cmp, b: Cmp): boolean {
  const above = (op: Op) => op === 'gt' || op === 'gte';
  const below = (op: Op) => op === 'lt' || op === 'lte';
  if (above(a.op) && above(b.op)) {
    return a.threshold < b.threshold || (a.threshold === b.threshold && !(a.op === 'gt' && b.op === 'gte'));
  }
  if (below(a.op) && below(b.op)) {
    return a.threshold > b.threshold || (a.threshold === b.threshold && !(a.op === 'lt' && b.op === 'lte'));
  }
  return false;
}
