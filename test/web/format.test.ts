import { describe, expect, it } from 'vitest';
import { age, duration, percent, scoreBand } from '../../web/src/format.js';

describe('how the dashboard writes numbers', () => {
  it('colours the health score green above 90, amber from 70 to 90, red below 70', () => {
    expect(scoreBand(100)).toBe('good');
    expect(scoreBand(90.5)).toBe('good');
    expect(scoreBand(90)).toBe('warn');
    expect(scoreBand(70)).toBe('warn');
    expect(scoreBand(69.9)).toBe('bad');
    expect(scoreBand(0)).toBe('bad');
  });

  it('never writes "60 s" inside a minute or an hour', () => {
    expect(duration(59_700)).toBe('1 min 0 s');
    expect(duration(3_599_400)).toBe('59 min 59 s');
    expect(duration(3_599_700)).toBe('1 h 0 min');
    expect(duration(119_400)).toBe('1 min 59 s');
    expect(duration(9_960)).toBe('10 s');
    expect(duration(320)).toBe('320 ms');
    expect(duration(null)).toBe('—');
  });

  it('writes ages and ratios a person reads at a glance', () => {
    expect(age(1_000, 1_000)).toBe('1s ago');
    expect(age(0, 5_000)).toBe('—');
    expect(age(1_000, 1_000 + 90 * 60_000)).toBe('1h 30m ago');
    expect(percent(1)).toBe('100%');
    expect(percent(0.9167)).toBe('91.7%');
    expect(percent(null)).toBe('—');
  });
});
