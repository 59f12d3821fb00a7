import { describe, expect, it } from 'vitest';
import { compare, signalsOf, type Condition, type Op, type ValueExpr } from '../../src/core/condition.js';
import { evaluate } from '../../src/core/evaluate.js';
import { MemorySeries } from './series.js';

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
});
