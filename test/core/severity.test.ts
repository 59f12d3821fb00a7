import { describe, expect, it } from 'vitest';
import { isSeverity, moreSevere, severityRank, SEVERITIES } from '../../src/core/severity.js';

describe('severity', () => {
  it('ranks P0 as the most severe', () => {
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3]);
  });

  it.each([['P0', 'P2', 'P0'], ['P3', 'P1', 'P1'], ['P2', 'P2', 'P2']] as const)('moreSevere(%s, %s) is %s', (a, b, want) => {
    expect(moreSevere(a, b)).toBe(want);
  });

  it.each([['P0', true], ['P3', true], ['P4', false], ['p1', false], ['', false], [1, false], [null, false]] as [unknown, boolean][])(
    'isSeverity(%j) is %s',
    (v, want) => {
      expect(isSeverity(v)).toBe(want);
    },
  );
});
