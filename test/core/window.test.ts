import { describe, expect, it } from 'vitest';
import type { ValueExpr } from '../../src/core/condition.js';
import { describeExpr, quantile, readWindow, reduce, selectPoints, type Point } from '../../src/core/window.js';

const pts = (...pairs: [number, number][]): Point[] => pairs.map(([at, value]) => ({ at, value }));
const expr = (over: Partial<ValueExpr> = {}): ValueExpr => ({ signal: 'x', fn: 'last', ...over });
const at = (points: readonly Point[] | undefined): number[] | undefined => points?.map((p) => p.at);

describe('selectPoints', () => {
  const series = pts([10, 1], [20, 2], [30, 3], [40, 4], [50, 5]);

  it('takes only the newest sample when there is neither a window nor a count', () => {
    expect(selectPoints(series, expr(), { target: 't', now: 50, since: 0 })).toEqual([{ at: 50, value: 5 }]);
  });

  it('takes the newest sample at or before now, not one from the future', () => {
    expect(selectPoints(series, expr(), { target: 't', now: 35, since: 0 })).toEqual([{ at: 30, value: 3 }]);
  });

  it('includes a sample exactly at the start of a time window and drops one a millisecond older', () => {
    expect(at(selectPoints(series, expr({ windowMs: 20 }), { target: 't', now: 50, since: 0 }))).toEqual([30, 40, 50]);
    expect(at(selectPoints(series, expr({ windowMs: 20 }), { target: 't', now: 51, since: 0 }))).toEqual([40, 50]);
  });

  it('cuts a time window at `since` when the reset is more recent than the window start', () => {
    expect(at(selectPoints(series, expr({ windowMs: 40 }), { target: 't', now: 50, since: 35 }))).toEqual([40, 50]);
  });

  it('ignores samples before `since` even without a window', () => {
    expect(selectPoints(series, expr(), { target: 't', now: 50, since: 51 })).toBeUndefined();
    expect(at(selectPoints(series, expr(), { target: 't', now: 35, since: 30 }))).toEqual([30]);
  });

  it('drops samples stamped after now (a clock that went backwards)', () => {
    expect(at(selectPoints(series, expr({ windowMs: 100 }), { target: 't', now: 25, since: 0 }))).toEqual([10, 20]);
  });

  it('returns undefined for an empty series', () => {
    expect(selectPoints([], expr({ windowMs: 100 }), { target: 't', now: 25, since: 0 })).toBeUndefined();
  });

  it('returns undefined when every sample is older than the window', () => {
    expect(selectPoints(series, expr({ windowMs: 5 }), { target: 't', now: 100, since: 0 })).toBeUndefined();
  });

  it('takes the last N samples of a count window', () => {
    expect(at(selectPoints(series, expr({ samples: 3 }), { target: 't', now: 50, since: 0 }))).toEqual([30, 40, 50]);
  });

  it('returns undefined while a count window has fewer than N samples', () => {
    expect(selectPoints(series, expr({ samples: 3 }), { target: 't', now: 20, since: 0 })).toBeUndefined();
  });

  it('does not count samples before `since` towards a count window', () => {
    expect(selectPoints(series, expr({ samples: 3 }), { target: 't', now: 50, since: 35 })).toBeUndefined();
  });

  it('makes do with the samples there are in a partial count window (verify)', () => {
    const scope = { target: 't', now: 50, since: 35, partialCountWindows: true };
    expect(at(selectPoints(series, expr({ samples: 3 }), scope))).toEqual([40, 50]);
  });

  it('still needs at least one sample in a partial count window', () => {
    const scope = { target: 't', now: 50, since: 51, partialCountWindows: true };
    expect(selectPoints(series, expr({ samples: 3 }), scope)).toBeUndefined();
  });

  it('applies both a time window and a count when given both', () => {
    expect(selectPoints(series, expr({ samples: 3, windowMs: 15 }), { target: 't', now: 50, since: 0 })).toBeUndefined();
    expect(at(selectPoints(series, expr({ samples: 2, windowMs: 15 }), { target: 't', now: 50, since: 0 }))).toEqual([40, 50]);
  });
});

describe('reduce', () => {
  const p = pts([0, 3], [1000, 1], [2000, 4], [3000, 1], [4000, 5]);

  it.each([
    ['last', 5],
    ['avg', 2.8],
    ['min', 1],
    ['max', 5],
    ['sum', 14],
    ['count', 5],
  ] as const)('%s of 3,1,4,1,5 is %d', (fn, want) => {
    expect(reduce(fn, p)).toBe(want);
  });

  it.each(['last', 'avg', 'min', 'max', 'sum', 'count', 'rate', 'delta', 'p95', 'p99'] as const)(
    '%s of no points is undefined',
    (fn) => {
      expect(reduce(fn, [])).toBeUndefined();
    },
  );

  it('delta of a counter that only grows is last minus first', () => {
    expect(reduce('delta', pts([0, 10], [1, 15], [2, 22]))).toBe(12);
  });

  it('delta treats a drop as a counter reset and counts the new value as increase', () => {
    // 10→15 (+5), 15→3 reset (+3), 3→8 (+5)
    expect(reduce('delta', pts([0, 10], [1, 15], [2, 3], [3, 8]))).toBe(13);
  });

  it('delta counts a reset to zero as no increase', () => {
    expect(reduce('delta', pts([0, 10], [1, 0], [2, 4]))).toBe(4);
  });

  it('delta of a single point is 0', () => {
    expect(reduce('delta', pts([0, 42]))).toBe(0);
  });

  it('rate is the increase per second across the points', () => {
    expect(reduce('rate', pts([0, 0], [30_000, 30], [60_000, 60]))).toBe(1);
  });

  it('rate survives a counter reset in the middle of the window', () => {
    // +10, reset (+5), +20 = 35 over 30 s
    expect(reduce('rate', pts([0, 100], [10_000, 110], [20_000, 5], [30_000, 25]))).toBeCloseTo(35 / 30, 12);
  });

  it('rate of one point is undefined (no interval to divide by)', () => {
    expect(reduce('rate', pts([0, 5]))).toBeUndefined();
  });

  it('rate of points all stamped at the same time is undefined, not Infinity', () => {
    expect(reduce('rate', pts([1000, 1], [1000, 5]))).toBeUndefined();
  });

  it('p95 and p99 interpolate between ranks of the sorted values', () => {
    const shuffled = pts(...[7, 3, 10, 1, 9, 2, 8, 5, 4, 6].map((v, i) => [i, v] as [number, number]));
    expect(reduce('p95', shuffled)).toBeCloseTo(9.55, 10);
    expect(reduce('p99', shuffled)).toBeCloseTo(9.91, 10);
  });
});

describe('readWindow', () => {
  const line = pts(...Array.from({ length: 7 }, (_, i): [number, number] => [i * 600_000, 10 + i]));

  it('reduces plain functions to a value without a confidence', () => {
    expect(readWindow(expr({ fn: 'max', windowMs: 3_600_000 }), line, 3_600_000)).toEqual({ value: 16 });
  });

  it('says "no data" for a plain function with nothing to reduce, or a NaN', () => {
    expect(readWindow(expr({ fn: 'rate', windowMs: 10 }), pts([0, 1]), 0)).toEqual({ value: undefined, reason: 'no data' });
    expect(readWindow(expr({ fn: 'avg', windowMs: 10 }), pts([0, Number.NaN]), 0)).toEqual({ value: undefined, reason: 'no data' });
  });

  it('fits a line for the trend functions and adds its R²', () => {
    const r = readWindow(expr({ fn: 'slope_per_hour', windowMs: 3_600_000 }), line, 3_600_000);
    expect(r.value).toBeCloseTo(6, 9);
    expect(r).toHaveProperty('confidence');
  });

  it('passes threshold and direction to time_to_threshold and forecasts from now', () => {
    const e = expr({ fn: 'time_to_threshold', windowMs: 3_600_000, thresholdValue: 28 });
    expect(readWindow(e, line, 3_600_000).value).toBeCloseTo(2, 9);
    expect(readWindow(e, line, 7_200_000).value).toBeCloseTo(1, 9);
    expect(readWindow({ ...e, direction: 'falling', thresholdValue: 4 }, line, 3_600_000).value).toBe(Infinity);
  });

  it('passes the warm-up to anomaly_score', () => {
    expect(readWindow(expr({ fn: 'anomaly_score', windowMs: 3_600_000, warmup: 7 }), line, 3_600_000).value).toBeTypeOf('number');
    expect(readWindow(expr({ fn: 'anomaly_score', windowMs: 3_600_000 }), line, 3_600_000).value).toBeUndefined();
  });
});

describe('quantile', () => {
  it('is the median between two middle values', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
  });

  it('is the minimum at 0 and the maximum at 1', () => {
    expect(quantile([5, -2, 9], 0)).toBe(-2);
    expect(quantile([5, -2, 9], 1)).toBe(9);
  });

  it('is the only value of a one-element list for any q', () => {
    expect(quantile([7], 0.95)).toBe(7);
  });

  it('is undefined for no values', () => {
    expect(quantile([], 0.5)).toBeUndefined();
  });

  it('sorts numerically, not as strings', () => {
    expect(quantile([100, 9, 20], 0.5)).toBe(20);
  });

  it('does not reorder the caller\'s array', () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('describeExpr', () => {
  it.each([
    [{ signal: 'http_up', fn: 'max', samples: 3 }, 'max(http_up, last 3)'],
    [{ signal: 'cpu', fn: 'avg', windowMs: 300_000 }, 'avg(cpu, 300s)'],
    [{ signal: 'lat', fn: 'p95', windowMs: 500 }, 'p95(lat, 0.5s)'],
    [{ signal: 'cpu', fn: 'last' }, 'cpu'],
    [{ signal: 'errors', fn: 'count' }, 'count(errors)'],
    [{ signal: 'cpu', fn: 'last', windowMs: 1000 }, 'last(cpu, 1s)'],
    [{ signal: 'rss', fn: 'growth_percent_per_hour', windowMs: 1_800_000 }, 'growth_percent_per_hour(rss, 1800s)'],
    [{ signal: 'disk', fn: 'time_to_threshold', windowMs: 7_200_000, thresholdValue: 95 }, 'time_to_threshold(disk, 7200s, 95)'],
    [{ signal: 'free', fn: 'time_to_threshold', samples: 20, thresholdValue: 5, direction: 'falling' }, 'time_to_threshold(free, last 20, 5 falling)'],
    [{ signal: 'lat', fn: 'anomaly_score', windowMs: 1_800_000 }, 'anomaly_score(lat, 1800s)'],
  ] as [ValueExpr, string][])('%j reads "%s"', (e, want) => {
    expect(describeExpr(e)).toBe(want);
  });
});
