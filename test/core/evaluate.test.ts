import { describe, expect, it } from 'vitest';
import { compare, longestWindowMs, signalsOf, type Condition, type Op, type ValueExpr } from '../../src/core/condition.js';
import { evaluate } from '../../src/core/evaluate.js';
import { noise } from './noise.js';
import { HOUR, MemorySeries, MIN, SEC, T0 } from './series.js';

const leaf = (value: Partial<ValueExpr> & { signal: string }, op: Op, threshold: number): Condition => ({
  kind: 'compare', value: { fn: 'last', ...value }, op, threshold,
});
const scope = (now: number, since = 0) => ({ target: 'web', now, since });

describe('evaluate: compare leaves', () => {
  it('holds and explains the value that made it hold', () => {
    const src = new MemorySeries().add('web', 'http_up', 1, 0).add('web', 'http_up', 2, 0).add('web', 'http_up', 3, 0);
    const ev = evaluate(leaf({ signal: 'http_up', fn: 'max', samples: 3 }, 'lt', 1), src, scope(3));
    expect(ev).toEqual({ holds: true, known: true, value: 0, explain: 'max(http_up, last 3) = 0 < 1' });
  });

  it('says "not" when the comparison fails', () => {
    const src = new MemorySeries().add('web', 'http_up', 1, 1);
    const ev = evaluate(leaf({ signal: 'http_up' }, 'lt', 1), src, scope(1));
    expect(ev).toEqual({ holds: false, known: true, value: 1, explain: 'http_up = 1 not < 1' });
  });

  it('is unknown and does not hold without samples', () => {
    const ev = evaluate(leaf({ signal: 'http_up' }, 'lt', 1), new MemorySeries(), scope(1));
    expect(ev).toEqual({ holds: false, known: false, value: null, explain: 'http_up: no data' });
  });

  it('does not hold on no data even for a comparison "no data" would satisfy (ne)', () => {
    const ev = evaluate(leaf({ signal: 'http_up' }, 'ne', 1), new MemorySeries().add('other', 'http_up', 1, 0), scope(1));
    expect(ev.holds).toBe(false);
    expect(ev.known).toBe(false);
  });

  it('reads only the scope\'s target', () => {
    const src = new MemorySeries().add('db', 'cpu', 1, 99).add('web', 'cpu', 1, 10);
    expect(evaluate(leaf({ signal: 'cpu' }, 'gt', 90), src, scope(1)).value).toBe(10);
  });

  it('is unknown while a count window is short of samples', () => {
    const src = new MemorySeries().add('web', 'http_up', 1, 0).add('web', 'http_up', 2, 0);
    const ev = evaluate(leaf({ signal: 'http_up', fn: 'max', samples: 3 }, 'lt', 1), src, scope(2));
    expect(ev).toMatchObject({ holds: false, known: false, explain: 'max(http_up, last 3): no data' });
  });

  it('treats a NaN result as no data', () => {
    const src = new MemorySeries().add('web', 'lat', 1, Number.NaN).add('web', 'lat', 2, 5);
    const ev = evaluate(leaf({ signal: 'lat', fn: 'avg', windowMs: 10 }, 'gt', 1), src, scope(2));
    expect(ev).toEqual({ holds: false, known: false, value: null, explain: 'avg(lat, 0.01s): no data' });
  });

  it('is unknown when rate has a single sample', () => {
    const src = new MemorySeries().add('web', 'req', 1000, 5);
    expect(evaluate(leaf({ signal: 'req', fn: 'rate', windowMs: 60_000 }, 'gt', 0), src, scope(1000)).known).toBe(false);
  });

  it('reads only samples whose labels contain the leaf\'s labels', () => {
    const src = new MemorySeries()
      .add('web', 'errors', 1, 7, { code: '500', path: '/a' })
      .add('web', 'errors', 1, 100, { code: '404' })
      .add('web', 'errors', 2, 3, { code: '500', path: '/b' });
    const ev = evaluate(leaf({ signal: 'errors', fn: 'sum', windowMs: 10, labels: { code: '500' } }, 'gt', 5), src, scope(2));
    expect(ev).toEqual({ holds: true, known: true, value: 10, explain: 'sum(errors, 0.01s) = 10 > 5' });
  });

  it('ignores samples before `since`', () => {
    const src = new MemorySeries().add('web', 'http_up', 1, 0).add('web', 'http_up', 5, 1);
    expect(evaluate(leaf({ signal: 'http_up', fn: 'min', windowMs: 100 }, 'lt', 1), src, scope(5, 2)).holds).toBe(false);
    expect(evaluate(leaf({ signal: 'http_up', fn: 'min', windowMs: 100 }, 'lt', 1), src, scope(5, 0)).holds).toBe(true);
  });

  it('rounds small values to three decimals and large ones to integers in the explanation', () => {
    const small = new MemorySeries().add('web', 'ratio', 1, 0.123456);
    expect(evaluate(leaf({ signal: 'ratio' }, 'gt', 0.1), small, scope(1)).explain).toBe('ratio = 0.123 > 0.1');
    const big = new MemorySeries().add('web', 'lat', 1, 1234.56);
    expect(evaluate(leaf({ signal: 'lat' }, 'gte', 500), big, scope(1)).explain).toBe('lat = 1235 >= 500');
    const hundred = new MemorySeries().add('web', 'lat', 1, 123.456).add('web', 'ms', 1, 99.9996);
    expect(evaluate(leaf({ signal: 'lat' }, 'gt', 100), hundred, scope(1)).explain).toBe('lat = 123 > 100');
    expect(evaluate(leaf({ signal: 'ms' }, 'gt', 100), hundred, scope(1)).explain).toBe('ms = 100 not > 100');
  });

  it('keeps the unrounded value in the result', () => {
    const src = new MemorySeries().add('web', 'ratio', 1, 0.123456);
    expect(evaluate(leaf({ signal: 'ratio' }, 'gt', 0.1), src, scope(1)).value).toBe(0.123456);
  });

  it.each([
    ['gt', 'v = 2 not > 2'], ['gte', 'v = 2 >= 2'], ['lt', 'v = 2 not < 2'],
    ['lte', 'v = 2 <= 2'], ['eq', 'v = 2 == 2'], ['ne', 'v = 2 not != 2'],
  ] as [Op, string][])('explains %s as "%s"', (op, want) => {
    const src = new MemorySeries().add('web', 'v', 1, 2);
    expect(evaluate(leaf({ signal: 'v' }, op, 2), src, scope(1)).explain).toBe(want);
  });
});

describe('evaluate: all / any', () => {
  const src = new MemorySeries().add('web', 'cpu', 1, 95).add('web', 'mem', 1, 50);
  const cpuHigh = leaf({ signal: 'cpu' }, 'gt', 90);
  const memHigh = leaf({ signal: 'mem' }, 'gt', 90);
  const diskMissing = leaf({ signal: 'disk' }, 'gt', 90);

  it('all holds only when every part holds, and joins explanations with "and"', () => {
    expect(evaluate({ kind: 'all', of: [cpuHigh, leaf({ signal: 'mem' }, 'lt', 60)] }, src, scope(1))).toEqual({
      holds: true, known: true, value: 95, explain: 'cpu = 95 > 90 and mem = 50 < 60',
    });
    expect(evaluate({ kind: 'all', of: [cpuHigh, memHigh] }, src, scope(1))).toMatchObject({ holds: false, known: true });
  });

  it('all with an unknown part does not hold and is unknown', () => {
    expect(evaluate({ kind: 'all', of: [cpuHigh, diskMissing] }, src, scope(1))).toEqual({
      holds: false, known: false, value: 95, explain: 'cpu = 95 > 90 and disk: no data',
    });
  });

  it('any holds when one part holds, even next to an unknown one, and joins with "or"', () => {
    expect(evaluate({ kind: 'any', of: [diskMissing, cpuHigh] }, src, scope(1))).toEqual({
      holds: true, known: true, value: 95, explain: 'disk: no data or cpu = 95 > 90',
    });
  });

  it('any is known when at least one part is known, and does not hold when none holds', () => {
    expect(evaluate({ kind: 'any', of: [diskMissing, memHigh] }, src, scope(1))).toEqual({
      holds: false, known: true, value: 50, explain: 'disk: no data or mem = 50 not > 90',
    });
  });

  it('any of only unknown parts is unknown', () => {
    expect(evaluate({ kind: 'any', of: [diskMissing, leaf({ signal: 'swap' }, 'gt', 1)] }, src, scope(1))).toEqual({
      holds: false, known: false, value: null, explain: 'disk: no data or swap: no data',
    });
  });

  it('records the value of the part of an any that held, not the first compared one', () => {
    expect(evaluate({ kind: 'any', of: [memHigh, cpuHigh] }, src, scope(1))).toMatchObject({ holds: true, value: 95 });
  });

  it('evaluates nested combinations', () => {
    const cond: Condition = { kind: 'all', of: [{ kind: 'any', of: [memHigh, cpuHigh] }, leaf({ signal: 'mem' }, 'gt', 10)] };
    expect(evaluate(cond, src, scope(1))).toEqual({
      holds: true, known: true, value: 95, explain: 'mem = 50 not > 90 or cpu = 95 > 90 and mem = 50 > 10',
    });
  });
});

describe('evaluate: forecasts', () => {
  const NOW = T0 + 3 * HOUR;
  /** disk_used_percent every 10 min over the last 2 h, valued by f(hours before now). */
  const disk = (f: (h: number, i: number) => number): MemorySeries => {
    const src = new MemorySeries();
    for (let i = 0; i <= 12; i++) src.add('web', 'disk_used_percent', NOW - (12 - i) * 10 * MIN, f(-(12 - i) / 6, i));
    return src;
  };
  const ttt = (op: Op, threshold: number, extra: Partial<ValueExpr> = {}) =>
    leaf({ signal: 'disk_used_percent', fn: 'time_to_threshold', windowMs: 2 * HOUR, thresholdValue: 95, ...extra }, op, threshold);

  it('holds when the disk reaches 95 % in 3 h, and explains it with the R²', () => {
    const ev = evaluate(ttt('lt', 4), disk((h) => 80 + 5 * h), scope(NOW));
    expect(ev).toMatchObject({ holds: true, known: true, explain: 'time_to_threshold(disk_used_percent, 7200s, 95) = 3 h < 4 (R² 1)' });
    expect(ev.value).toBeCloseTo(3, 9);
    expect(ev.confidence).toBeCloseTo(1, 9);
  });

  it('does not hold for `lt` on a flat or a decreasing disk, and says it never gets there', () => {
    for (const f of [() => 60, (h: number) => 60 - 5 * h]) {
      const ev = evaluate(ttt('lt', 4), disk(f), scope(NOW));
      expect(ev).toMatchObject({ holds: false, known: true, value: null });
      expect(ev.explain).toBe('time_to_threshold(disk_used_percent, 7200s, 95) = never not < 4 (R² 1)');
    }
  });

  it('lets a verify check say "not full within a day" about a disk that stopped filling', () => {
    expect(evaluate(ttt('gt', 24), disk(() => 60), scope(NOW))).toMatchObject({ holds: true, known: true, value: null });
  });

  it('is unknown, with the reason, until the window has enough samples', () => {
    const src = new MemorySeries().add('web', 'disk_used_percent', NOW - MIN, 80).add('web', 'disk_used_percent', NOW, 81);
    expect(evaluate(ttt('lt', 4), src, scope(NOW))).toEqual({
      holds: false, known: false, value: null, explain: 'time_to_threshold(disk_used_percent, 7200s, 95): 2 of the 5 samples a trend needs',
    });
  });

  it('a settle reset makes the trend wait until the fresh samples cover half the window', () => {
    const src = disk((h) => 80 + 5 * h);
    expect(evaluate(ttt('lt', 4), src, scope(NOW, NOW - 50 * MIN)).known).toBe(false);
    expect(evaluate(ttt('lt', 4), src, scope(NOW, NOW - 60 * MIN)).holds).toBe(true);
  });

  describe('min_confidence', () => {
    const wobble = noise(3);
    // A trend of +1 %/h buried in ±10 % of noise: a line through it explains little.
    const noisy = disk((h) => 90 + h + wobble() * 20);

    it('makes a leaf unknown while the R² is below it', () => {
      const ev = evaluate(ttt('lt', 100, { minConfidence: 0.8 }), noisy, scope(NOW));
      expect(ev).toMatchObject({ holds: false, known: false, value: null });
      expect(ev.confidence).toBeLessThan(0.8);
      expect(ev.explain).toMatch(/^time_to_threshold\(disk_used_percent, 7200s, 95\) = [\d.]+ h, but R² [\d.]+ < 0\.8: not confident$/);
    });

    it('lets the same leaf hold without it', () => {
      expect(evaluate(ttt('lt', 100), noisy, scope(NOW))).toMatchObject({ holds: true, known: true });
    });

    it('lets a clean line through', () => {
      expect(evaluate(ttt('lt', 4, { minConfidence: 0.8 }), disk((h) => 80 + 5 * h), scope(NOW))).toMatchObject({ holds: true, known: true });
    });
  });

  it('explains growth in %/h and slope per hour', () => {
    const src = new MemorySeries();
    for (let i = 0; i <= 30; i++) src.add('web', 'rss', NOW - (30 - i) * MIN, 200 + 20 * (i / 60));
    const growth = leaf({ signal: 'rss', fn: 'growth_percent_per_hour', windowMs: 30 * MIN }, 'gt', 8);
    expect(evaluate(growth, src, scope(NOW))).toMatchObject({
      holds: true, explain: 'growth_percent_per_hour(rss, 1800s) = 10 %/h > 8 (R² 1)',
    });
    const slope = leaf({ signal: 'rss', fn: 'slope_per_hour', windowMs: 30 * MIN }, 'gt', 25);
    expect(evaluate(slope, src, scope(NOW)).explain).toBe('slope_per_hour(rss, 1800s) = 20/h not > 25 (R² 1)');
  });

  it('carries the confidence of the part whose value it shows through all / any', () => {
    const src = disk((h) => 80 + 5 * h).add('web', 'cpu', NOW, 10);
    const ev = evaluate({ kind: 'all', of: [ttt('lt', 4), leaf({ signal: 'cpu' }, 'lt', 50)] }, src, scope(NOW));
    expect(ev.confidence).toBeCloseTo(1, 9);
    expect(evaluate({ kind: 'any', of: [leaf({ signal: 'cpu' }, 'lt', 50), ttt('lt', 4)] }, src, scope(NOW))).not.toHaveProperty('confidence');
  });

  it('does not put a confidence on plain window functions', () => {
    expect(evaluate(leaf({ signal: 'v' }, 'gt', 1), new MemorySeries().add('web', 'v', 1, 2), scope(1))).not.toHaveProperty('confidence');
  });
});

describe('evaluate: anomaly_score', () => {
  const NOW = T0 + HOUR;
  const latency = (count: number, last?: number): MemorySeries => {
    const n = noise(9);
    const src = new MemorySeries();
    for (let i = 0; i < count; i++) {
      const value = i === count - 1 && last !== undefined ? last : 100 + n() * 4;
      src.add('web', 'latency_p95_ms', NOW - (count - 1 - i) * 10 * SEC, value);
    }
    return src;
  };
  const spike = leaf({ signal: 'latency_p95_ms', fn: 'anomaly_score', windowMs: 30 * MIN }, 'gt', 0.9);

  it('holds on a sudden spike and not on the steady series', () => {
    expect(evaluate(spike, latency(60, 150), scope(NOW))).toMatchObject({ holds: true, known: true });
    expect(evaluate(spike, latency(60), scope(NOW))).toMatchObject({ holds: false, known: true });
  });

  it('is unknown during the warm-up, saying so', () => {
    expect(evaluate(spike, latency(12, 150), scope(NOW))).toEqual({
      holds: false, known: false, value: null, explain: 'anomaly_score(latency_p95_ms, 1800s): warming up: 12 of 30 samples',
    });
  });
});

describe('condition helpers', () => {
  it.each([
    ['gt', 2, 1, true], ['gt', 1, 1, false],
    ['gte', 1, 1, true], ['gte', 0, 1, false],
    ['lt', 0, 1, true], ['lt', 1, 1, false],
    ['lte', 1, 1, true], ['lte', 2, 1, false],
    ['eq', 1, 1, true], ['eq', 1, 2, false],
    ['ne', 1, 2, true], ['ne', 1, 1, false],
  ] as [Op, number, number, boolean][])('compare(%s, %d, %d) is %s', (op, a, b, want) => {
    expect(compare(op, a, b)).toBe(want);
  });

  it('signalsOf lists each signal once, in first-seen order', () => {
    const cond: Condition = {
      kind: 'any',
      of: [leaf({ signal: 'cpu' }, 'gt', 1), { kind: 'all', of: [leaf({ signal: 'mem' }, 'gt', 1), leaf({ signal: 'cpu' }, 'lt', 5)] }],
    };
    expect(signalsOf(cond)).toEqual(['cpu', 'mem']);
  });

  it('longestWindowMs is the longest time window anywhere in the condition, 0 for none', () => {
    const cond: Condition = {
      kind: 'all',
      of: [
        leaf({ signal: 'cpu', fn: 'avg', windowMs: 60_000 }, 'gt', 1),
        { kind: 'any', of: [leaf({ signal: 'disk', fn: 'slope_per_hour', windowMs: 7_200_000 }, 'gt', 0)] },
      ],
    };
    expect(longestWindowMs(cond)).toBe(7_200_000);
    expect(longestWindowMs(leaf({ signal: 'up', samples: 3 }, 'lt', 1))).toBe(0);
  });
});
