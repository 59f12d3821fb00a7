import { describe, expect, it } from 'vitest';
import { fitLine, hoursToCross, inTimeOrder, MIN_FIT_POINTS, readFit } from '../../src/core/forecast.js';
import type { Point } from '../../src/core/window.js';
import { noise, series } from './noise.js';
import { HOUR, MIN, T0 } from './series.js';

const NOW = T0 + 2 * HOUR;
const valueOf = (r: ReturnType<typeof readFit>): number | undefined => r.value;

describe('fitLine', () => {
  it('finds the exact slope per hour and R² 1 of a perfect line', () => {
    const fit = fitLine(series(NOW, 10 * MIN, 13, (h) => 40 + 6 * h))!;
    expect(fit.slope).toBeCloseTo(6, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(fit.valueAt(NOW)).toBeCloseTo(40, 10);
    expect(fit.valueAt(NOW + HOUR)).toBeCloseTo(46, 10);
  });

  it('keeps its precision on epoch-millisecond timestamps with minute steps', () => {
    const fit = fitLine(series(NOW, MIN, 120, (h) => 1e6 + 0.001 * h))!;
    expect(fit.slope).toBeCloseTo(0.001, 6);
  });

  it('gives R² near 1 for a trend with a little noise and near 0 for noise alone', () => {
    const small = noise(7);
    const trend = fitLine(series(NOW, MIN, 60, (h) => 50 + 30 * h + small() * 2))!;
    expect(trend.r2).toBeGreaterThan(0.98);
    const big = noise(11);
    const flat = fitLine(series(NOW, MIN, 60, () => 50 + big() * 10))!;
    expect(flat.r2).toBeLessThan(0.1);
  });

  it('fits a flat series exactly: slope 0, R² 1', () => {
    const fit = fitLine(series(NOW, MIN, 10, () => 0.1))!;
    expect(fit).toMatchObject({ slope: 0, r2: 1 });
  });

  it('has no line when every sample has the same time', () => {
    expect(fitLine([{ at: NOW, value: 1 }, { at: NOW, value: 2 }])).toBeUndefined();
    expect(fitLine([{ at: NOW, value: 1 }])).toBeUndefined();
  });
});

describe('readFit: slope_per_hour and growth_percent_per_hour', () => {
  it('slope_per_hour is in value units per hour, with its R²', () => {
    const pts = series(NOW, MIN, 31, (h) => 200 - 12 * h);
    const r = readFit('slope_per_hour', pts, { now: NOW, windowMs: 30 * MIN });
    expect(r.value).toBeCloseTo(-12, 9);
    expect(r).toHaveProperty('confidence');
  });

  it('growth_percent_per_hour is the slope relative to the line at the window start', () => {
    // RSS 100 MB at the window start, +5 MB/h: 5 %/h whatever the current size.
    const pts = series(NOW, MIN, 31, (h) => 100 + 5 * (h + 0.5));
    expect(valueOf(readFit('growth_percent_per_hour', pts, { now: NOW, windowMs: 30 * MIN }))).toBeCloseTo(5, 9);
  });

  it('growth_percent_per_hour of a shrinking series is negative', () => {
    const pts = series(NOW, MIN, 31, (h) => 200 - 20 * (h + 0.5));
    expect(valueOf(readFit('growth_percent_per_hour', pts, { now: NOW, windowMs: 30 * MIN }))).toBeCloseTo(-10, 9);
  });

  it('growth_percent_per_hour is unknown when the line starts at or below 0', () => {
    const r = readFit('growth_percent_per_hour', series(NOW, MIN, 31, (h) => 10 * (h + 0.5) - 1), { now: NOW, windowMs: 30 * MIN });
    expect(r).toEqual({ value: undefined, reason: 'the fitted start value -1 is not positive: no percentage of it' });
  });
});

describe('readFit: time_to_threshold', () => {
  const opts = { now: NOW, windowMs: 2 * HOUR, thresholdValue: 95 };

  it('is 3 h for a disk at 80 % filling 5 %/h towards 95', () => {
    const r = readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 80 + 5 * h), opts);
    expect(r.value).toBeCloseTo(3, 9);
    expect((r as { confidence: number }).confidence).toBeCloseTo(1, 9);
  });

  it('counts from now, not from the last sample', () => {
    const pts = series(NOW - HOUR, 10 * MIN, 7, (h) => 75 + 5 * h);
    expect(valueOf(readFit('time_to_threshold', pts, opts))).toBeCloseTo(3, 9);
  });

  it('is 0 when the line is already past the threshold', () => {
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 97 + h), opts).value).toBe(0);
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, () => 95), opts).value).toBe(0);
  });

  it('is Infinity for a flat series and for one moving away', () => {
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, () => 60), opts).value).toBe(Infinity);
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 60 - 3 * h), opts).value).toBe(Infinity);
  });

  it('is Infinity, not 0, for a disk being cleaned up well below the limit', () => {
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 50 - 10 * h), opts).value).toBe(Infinity);
  });

  it('forecasts a falling series down to a lower limit', () => {
    const free = series(NOW, 10 * MIN, 13, (h) => 20 - 5 * h);
    const falling = { ...opts, thresholdValue: 5, direction: 'falling' as const };
    expect(valueOf(readFit('time_to_threshold', free, falling))).toBeCloseTo(3, 9);
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 20 + h), falling).value).toBe(Infinity);
    expect(readFit('time_to_threshold', series(NOW, 10 * MIN, 13, () => 4), falling).value).toBe(0);
  });

  it('is unknown without a threshold value', () => {
    const r = readFit('time_to_threshold', series(NOW, 10 * MIN, 13, (h) => 80 + 5 * h), { now: NOW });
    expect(r).toEqual({ value: undefined, reason: 'no threshold_value to forecast' });
  });

  it('hoursToCross takes the line at now', () => {
    const fit = { slope: 2, r2: 1, valueAt: (at: number) => 90 + 2 * ((at - NOW) / HOUR) };
    expect(hoursToCross(fit, NOW + HOUR, 95, 'rising')).toBeCloseTo(1.5, 12);
    expect(hoursToCross(fit, NOW, 95, 'falling')).toBe(0);
    expect(hoursToCross(fit, NOW, 80, 'falling')).toBe(Infinity);
  });
});

describe('readFit: not enough evidence', () => {
  it(`is unknown with fewer than ${MIN_FIT_POINTS} samples`, () => {
    const r = readFit('slope_per_hour', series(NOW, 10 * MIN, 4, (h) => h), { now: NOW });
    expect(r).toEqual({ value: undefined, reason: `4 of the ${MIN_FIT_POINTS} samples a trend needs` });
  });

  it('is unknown while the samples cover less than half of the time window', () => {
    const r = readFit('slope_per_hour', series(NOW, MIN, 10, (h) => h), { now: NOW, windowMs: 30 * MIN });
    expect(r).toEqual({ value: undefined, reason: 'samples span 9m0s, a trend needs 15m0s of the 30m0s window' });
    expect(readFit('slope_per_hour', series(NOW, MIN, 16, (h) => h), { now: NOW, windowMs: 30 * MIN }).value).toBeCloseTo(1, 9);
  });

  it('skips the span check for a count window (no window length to compare with)', () => {
    expect(readFit('slope_per_hour', series(NOW, MIN, 5, (h) => 2 * h), { now: NOW }).value).toBeCloseTo(2, 9);
  });

  it('is unknown when every sample has the same time', () => {
    const same = Array.from({ length: 6 }, (_, i): Point => ({ at: NOW, value: i }));
    expect(readFit('slope_per_hour', same, { now: NOW })).toEqual({ value: undefined, reason: 'every sample has the same time' });
  });

  it('leaves NaN samples out instead of poisoning the line', () => {
    const pts = series(NOW, 10 * MIN, 13, (h, i) => (i === 5 ? Number.NaN : 80 + 5 * h));
    expect(valueOf(readFit('time_to_threshold', pts, { now: NOW, windowMs: 2 * HOUR, thresholdValue: 95 }))).toBeCloseTo(3, 9);
  });
});

describe('readFit: a clock that went backwards', () => {
  it('gives the same trend for samples stored out of order', () => {
    const ordered = series(NOW, 10 * MIN, 13, (h) => 100 + 5 * (h + 2));
    const shuffled = [...ordered.slice(6), ...ordered.slice(0, 6)];
    const opts = { now: NOW, windowMs: 2 * HOUR };
    expect(valueOf(readFit('growth_percent_per_hour', shuffled, opts))).toBeCloseTo(5, 9);
    expect(valueOf(readFit('slope_per_hour', shuffled, opts))).toBeCloseTo(5, 9);
  });

  it('orders by time without touching the caller\'s array', () => {
    const pts = [{ at: 3, value: 1 }, { at: 1, value: 2 }, { at: 2, value: Number.NaN }];
    expect(inTimeOrder(pts)).toEqual([{ at: 1, value: 2 }, { at: 3, value: 1 }]);
    expect(pts[0]).toEqual({ at: 3, value: 1 });
  });
});
