import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/core/condition.js';
import { bandThresholds, thresholdIssue, withThresholds } from '../../src/core/thresholds.js';

const cmp = (threshold: number): Condition => ({ kind: 'compare', value: { signal: 'cpu', fn: 'last' }, op: 'gt', threshold });
const bands = [
  { severity: 'P1' as const, condition: cmp(95) },
  { severity: 'P2' as const, condition: cmp(85) },
  { severity: 'P3' as const, condition: { kind: 'all', of: [cmp(1), cmp(2)] } as Condition },
];

describe('rule thresholds', () => {
  it('shows each band with its threshold, null for a combined band', () => {
    expect(bandThresholds(bands)).toEqual([{ severity: 'P1', threshold: 95 }, { severity: 'P2', threshold: 85 }, { severity: 'P3', threshold: null }]);
  });

  it('replaces only the named band, and leaves the input alone', () => {
    const out = withThresholds(bands, { P2: 70 });
    expect(bandThresholds(out)).toEqual([{ severity: 'P1', threshold: 95 }, { severity: 'P2', threshold: 70 }, { severity: 'P3', threshold: null }]);
    expect(out[0]).toBe(bands[0]);
    expect(bandThresholds(bands)[1]!.threshold).toBe(85);
  });

  it('says why an override cannot apply', () => {
    expect(thresholdIssue(bands, 'P2', 70)).toBeNull();
    expect(thresholdIssue(bands, 'P0', 70)).toMatch(/no P0 band \(bands: P1, P2, P3\)/);
    expect(thresholdIssue(bands, 'P3', 70)).toMatch(/no single threshold/);
    expect(thresholdIssue(bands, 'P2', Number.NaN)).toMatch(/finite number/);
    expect(thresholdIssue(bands, 'P2', '70')).toMatch(/finite number/);
  });
});
