import { describe, expect, it } from 'vitest';
import { anomalyScore, DEFAULT_WARMUP, robustZ, scoreOf } from '../../src/core/anomaly.js';
import type { Point } from '../../src/core/window.js';
import { noise, series } from './noise.js';
import { SEC, T0 } from './series.js';

const NOW = T0 + 600 * SEC;
/** Latency around 100 ms, ±2 ms of noise, a sample every 10 s. */
const steady = (count: number, seed = 1): Point[] => {
  const n = noise(seed);
  return series(NOW, 10 * SEC, count, () => 100 + n() * 4);
};
const withLast = (pts: readonly Point[], value: number): Point[] => [...pts.slice(0, -1), { at: pts[pts.length - 1]!.at, value }];
const score = (pts: readonly Point[], opts = {}): number | undefined => anomalyScore(pts, opts).value;

describe('anomalyScore', () => {
  it.each([1, 2, 3, 42])('scores a steady series low (seed %d)', (seed) => {
    expect(score(steady(60, seed))).toBeLessThan(0.1);
  });

  it('scores a sudden spike above 0.9', () => {
    expect(score(withLast(steady(60), 130))).toBeGreaterThan(0.9);
    expect(score(withLast(steady(60), 112))).toBeGreaterThan(0.9);
  });

  it('scores a sudden drop as unusual too', () => {
    expect(score(withLast(steady(60), 70))).toBeGreaterThan(0.9);
  });

  it('scores the next ordinary sample of a steady ramp low: the trend is the baseline', () => {
    const n = noise(5);
    expect(score(series(NOW, 10 * SEC, 60, (_h, i) => 100 + 2 * i + n() * 4))).toBeLessThan(0.1);
  });

  it('is not blinded by an earlier spike in the baseline', () => {
    const pts = steady(60).map((p, i) => (i === 30 ? { ...p, value: 400 } : p));
    expect(score(pts)).toBeLessThan(0.1);
    expect(score(withLast(pts, 130))).toBeGreaterThan(0.9);
  });

  it(`is unknown during the warm-up (${DEFAULT_WARMUP} samples by default)`, () => {
    const spiky = withLast(steady(DEFAULT_WARMUP - 1), 500);
    expect(anomalyScore(spiky)).toEqual({ value: undefined, reason: `warming up: ${DEFAULT_WARMUP - 1} of ${DEFAULT_WARMUP} samples` });
    expect(score(withLast(steady(DEFAULT_WARMUP), 500))).toBeGreaterThan(0.9);
  });

  it('takes a shorter or longer warm-up from the options, but never under 5 samples', () => {
    expect(score(withLast(steady(10), 500), { warmup: 10 })).toBeGreaterThan(0.9);
    expect(score(withLast(steady(40), 500), { warmup: 50 })).toBeUndefined();
    expect(anomalyScore(steady(4), { warmup: 2 })).toMatchObject({ value: undefined, reason: 'warming up: 4 of 5 samples' });
  });

  it('a faster alpha forgets an old level sooner', () => {
    // 40 samples at 100, then 19 at 110, then another 110: the slow baseline is still far below.
    const pts = series(NOW, 10 * SEC, 60, (_h, i) => (i < 40 ? 100 : 110) + (i % 2) * 0.5);
    expect(score(pts, { alpha: 0.02 })).toBeGreaterThan(score(pts, { alpha: 0.5 })!);
  });

  it('scores the newest sample by time when the clock went backwards', () => {
    const pts = withLast(steady(60), 130);
    const reordered = [pts[pts.length - 1]!, ...pts.slice(0, -1)];
    expect(score(reordered)).toBeGreaterThan(0.9);
  });

  it('leaves NaN samples out', () => {
    const pts = steady(61).map((p, i) => (i === 10 ? { ...p, value: Number.NaN } : p));
    expect(score(pts)).toBeLessThan(0.1);
    expect(score(pts.slice(1, 31))).toBeUndefined();
  });

  it('on a perfectly flat baseline, a tiny change scores low and a real one high', () => {
    const flat = series(NOW, 10 * SEC, 40, () => 50);
    expect(score(flat)).toBeLessThan(0.01);
    expect(score(withLast(flat, 50.01))).toBeLessThan(0.1);
    expect(score(withLast(flat, 55))).toBeGreaterThan(0.99);
  });

  it('from a baseline that is always 0, any change scores 1', () => {
    expect(score(withLast(series(NOW, 10 * SEC, 40, () => 0), 1))).toBe(1);
  });
});

describe('robustZ and scoreOf', () => {
  it('measures the last value in robust standard deviations of the forecast errors', () => {
    // Errors alternate ±1 around a level of ~0: MAD 1, so one robust sigma is 1.4826.
    const values = [0, ...Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : -1)), 1.4826 * 4];
    expect(robustZ(values, 0.0001)).toBeCloseTo(4, 2);
  });

  it('maps |z| to 0..1: 0.5 at 3, about 0.9 at 4.1, near 0 at 0 and 1 far out', () => {
    expect(scoreOf(3)).toBe(0.5);
    expect(scoreOf(-3)).toBe(0.5);
    expect(scoreOf(3 + 0.5 * Math.log(9))).toBeCloseTo(0.9, 12);
    expect(scoreOf(0)).toBeLessThan(0.003);
    expect(scoreOf(Infinity)).toBe(1);
  });
});
