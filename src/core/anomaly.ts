import { inTimeOrder, type Reading, type Sample } from './forecast.js';

/**
 * anomaly_score: how unusual the newest sample is against the signal's own
 * recent behaviour, as a number from 0 (ordinary) to 1 (far outside it).
 *
 * The baseline is an EWMA over the window's earlier samples. Its one-step
 * forecast errors (each sample minus the EWMA just before it) give a robust
 * spread: 1.4826 × their median absolute deviation, which is the standard
 * deviation for normal noise yet ignores the odd earlier spike. The newest
 * sample's error, less the median error (an EWMA lags a steady ramp; the
 * ramp itself is not an anomaly), divided by that spread is a robust z.
 * A logistic turns |z| into the score: 0.5 at 3 robust sigmas, about 0.9 at
 * 4.1 and 0.99 at 5.3. Both directions count: a drop is as unusual as a spike.
 */

export const DEFAULT_ALPHA = 0.1;
export const DEFAULT_WARMUP = 30;
/** Below this a median of forecast errors is no spread at all. */
export const MIN_WARMUP = 5;
/** |z| that scores 0.5, and how many sigmas move the score from 0.27 to 0.73. */
export const Z_MIDPOINT = 3;
export const Z_STEEPNESS = 0.5;

/** MAD × this estimates the standard deviation of normal noise. */
const MAD_TO_SIGMA = 1.4826;
/** Mean absolute deviation × this does the same; used when more than half the errors are equal (MAD 0). */
const MEAN_AD_TO_SIGMA = 1.2533;
/** A perfectly flat baseline still gets a spread: 0.1 % of its level. */
const FLAT_SPREAD = 1e-3;

export interface AnomalyOptions {
  readonly alpha?: number | undefined;
  readonly warmup?: number | undefined;
}

export function anomalyScore(points: readonly Sample[], opts: AnomalyOptions = {}): Reading {
  const pts = inTimeOrder(points);
  // A baseline learnt from a few samples calls everything unusual: no score until the warm-up is done.
  const warmup = Math.max(MIN_WARMUP, opts.warmup ?? DEFAULT_WARMUP);
  if (pts.length < warmup) return { value: undefined, reason: `warming up: ${pts.length} of ${warmup} samples` };
  return { value: scoreOf(robustZ(pts.map((p) => p.value), opts.alpha ?? DEFAULT_ALPHA)) };
}

/** The robust z of the last value against an EWMA (factor `alpha`) of the ones before it; needs 3 or more values. */
export function robustZ(values: readonly number[], alpha: number): number {
  const n = values.length;
  let level = values[0]!;
  const errors: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    errors.push(values[i]! - level);
    level = alpha * values[i]! + (1 - alpha) * level;
  }
  const center = median(errors);
  const deviations = errors.map((e) => Math.abs(e - center));
  const spread = Math.max(
    MAD_TO_SIGMA * median(deviations) || MEAN_AD_TO_SIGMA * mean(deviations),
    FLAT_SPREAD * Math.abs(level),
  );
  const off = values[n - 1]! - level - center;
  if (off === 0) return 0;
  // Only a baseline that is exactly 0 every time has no spread: any change from it is as unusual as it gets.
  return spread > 0 ? off / spread : Math.sign(off) * Infinity;
}

export function scoreOf(z: number): number {
  return 1 / (1 + Math.exp(-(Math.abs(z) - Z_MIDPOINT) / Z_STEEPNESS));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length / 2;
  return s.length % 2 === 1 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
