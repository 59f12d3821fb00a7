import type { Direction, FitFn } from './condition.js';
import { formatDuration } from './duration.js';

/**
 * Trend functions: a least-squares line through a window's samples, read as a
 * slope, a growth rate or the time until a level is crossed (like PromQL's
 * `predict_linear`). Each comes with the fit's R² as its confidence, so rules
 * can refuse to act on a line that does not describe the data.
 *
 * A line through a handful of samples, or through the first minutes of a long
 * window, says little; the window then has no value (unknown) rather than a
 * confident-looking wrong one.
 */

export interface Sample {
  readonly at: number;
  readonly value: number;
}

/** What a window function made of its samples: a value (fits add their R²), or why there is none. */
export type Reading =
  | { readonly value: number; readonly confidence?: number }
  | { readonly value: undefined; readonly reason: string };

/** A fit needs at least this many samples... */
export const MIN_FIT_POINTS = 5;
/** ...spread over at least this fraction of a time window. */
export const MIN_FIT_SPAN = 0.5;

const HOUR_MS = 3_600_000;

/**
 * The finite samples in time order. A clock that went backwards can leave a
 * series out of order; a line fit does not care, but "the first sample" and
 * "the last sample" must mean the earliest and the latest.
 */
export function inTimeOrder(points: readonly Sample[]): Sample[] {
  return points.filter((p) => Number.isFinite(p.value) && Number.isFinite(p.at)).sort((a, b) => a.at - b.at);
}

export interface LineFit {
  /** Value units per hour. */
  readonly slope: number;
  /** Coefficient of determination, 0..1: the share of the samples' variation the line explains. */
  readonly r2: number;
  /** The line's value at a time (ms). */
  valueAt(at: number): number;
}

/** Ordinary least squares of value on time; undefined when every sample has the same time. */
export function fitLine(points: readonly Sample[]): LineFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  // Hours since the first sample: epoch milliseconds squared would lose the digits that matter.
  const t0 = points[0]!.at;
  const ts = points.map((p) => (p.at - t0) / HOUR_MS);
  const ys = points.map((p) => p.value);
  const mt = mean(ts);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dt = ts[i]! - mt;
    const dy = ys[i]! - my;
    sxx += dt * dt;
    sxy += dt * dy;
    syy += dy * dy;
  }
  if (sxx === 0) return undefined;
  // A flat series is fitted exactly by a flat line. R² is 0/0 there; like scikit-learn, call a perfect fit 1.
  const flat = ys.every((y) => y === ys[0]);
  const slope = flat ? 0 : sxy / sxx;
  const r2 = flat || syy === 0 ? 1 : Math.min(1, (sxy * sxy) / (sxx * syy));
  return { slope, r2, valueAt: (at) => my + slope * ((at - t0) / HOUR_MS - mt) };
}

export interface FitOptions {
  readonly now: number;
  /** The time window, for the span check; absent for count windows. */
  readonly windowMs?: number | undefined;
  readonly thresholdValue?: number | undefined;
  readonly direction?: Direction | undefined;
}

export function readFit(fn: FitFn, points: readonly Sample[], opts: FitOptions): Reading {
  const pts = inTimeOrder(points);
  if (pts.length < MIN_FIT_POINTS) {
    return { value: undefined, reason: `${pts.length} of the ${MIN_FIT_POINTS} samples a trend needs` };
  }
  const first = pts[0]!;
  const span = pts[pts.length - 1]!.at - first.at;
  if (opts.windowMs !== undefined && span < MIN_FIT_SPAN * opts.windowMs) {
    const need = formatDuration(MIN_FIT_SPAN * opts.windowMs);
    return { value: undefined, reason: `samples span ${formatDuration(span)}, a trend needs ${need} of the ${formatDuration(opts.windowMs)} window` };
  }
  const fit = fitLine(pts);
  if (!fit) return { value: undefined, reason: 'every sample has the same time' };
  switch (fn) {
    case 'slope_per_hour':
      return { value: fit.slope, confidence: fit.r2 };
    case 'growth_percent_per_hour': {
      // Relative to where the line starts, so the same leak reads the same %/h at any hour of the window.
      const base = fit.valueAt(first.at);
      if (!(base > 0)) return { value: undefined, reason: `the fitted start value ${round(base)} is not positive: no percentage of it` };
      return { value: (100 * fit.slope) / base, confidence: fit.r2 };
    }
    case 'time_to_threshold':
      if (opts.thresholdValue === undefined) return { value: undefined, reason: 'no threshold_value to forecast' };
      return { value: hoursToCross(fit, opts.now, opts.thresholdValue, opts.direction ?? 'rising'), confidence: fit.r2 };
  }
}

/**
 * Hours from `now` until the line reaches `level` going in `direction`: 0
 * when it is already there or beyond, Infinity when it is flat or moving
 * away. Infinity is a known value on purpose: a disk that stopped filling
 * must clear a "full in < 4 h" incident, which an unknown value never does.
 */
export function hoursToCross(fit: LineFit, now: number, level: number, direction: Direction): number {
  // From the line's value now rather than the last sample: one noisy sample must not move the forecast.
  const current = fit.valueAt(now);
  const gap = direction === 'rising' ? level - current : current - level;
  if (gap <= 0) return 0;
  const speed = direction === 'rising' ? fit.slope : -fit.slope;
  return speed > 0 ? gap / speed : Infinity;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
