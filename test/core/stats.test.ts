import { describe, expect, it } from 'vitest';
import { outcomes, perRunbook, percentiles } from '../../src/core/stats.js';

describe('remediation statistics', () => {
  it('count only executions that ran, and rate successes among the finished', () => {
    const rows = [
      { runbook: 'a', status: 'succeeded', startedAt: 1 },
      { runbook: 'a', status: 'failed', startedAt: 1 },
      { runbook: 'b', status: 'rolled_back', startedAt: 1 },
      { runbook: 'b', status: 'succeeded', startedAt: 1 },
      { runbook: 'b', status: 'running', startedAt: 1 },
      { runbook: 'b', status: 'dry_run', startedAt: null },
      { runbook: 'b', status: 'rejected', startedAt: null },
      { runbook: 'b', status: 'shadowed', startedAt: null },
    ];
    expect(outcomes(rows, [])).toEqual({ executed: 5, succeeded: 2, failed: 1, rolledBack: 1, successRate: 0.5, mttrMs: null });
    expect(perRunbook(rows, [{ runbook: 'a', ttrMs: 1000 }]).map((r) => [r.runbook, r.executed, r.successRate, r.mttrMs])).toEqual([
      ['a', 2, 0.5, { median: 1000, p90: 1000 }],
      ['b', 3, 0.5, null],
    ]);
  });

  it('have no success rate without a finished execution', () => {
    expect(outcomes([{ runbook: 'a', status: 'running', startedAt: 1 }], []).successRate).toBeNull();
  });

  it('give median and p90 by linear interpolation', () => {
    expect(percentiles([])).toBeNull();
    expect(percentiles([10])).toEqual({ median: 10, p90: 10 });
    expect(percentiles([40, 10, 30, 20])).toEqual({ median: 25, p90: 37 });
    expect(percentiles(Array.from({ length: 11 }, (_, i) => i * 100))).toEqual({ median: 500, p90: 900 });
  });
});
