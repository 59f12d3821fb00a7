import { describe, expect, it } from 'vitest';
import { componentOfSignals, scoreAt, scoreSeries, type HealthIncident } from '../../src/core/health.js';
import { FakeClock } from '../support/fake-clock.js';

const MIN = 60_000;

describe('health score', () => {
  it('is 100 everywhere with nothing open', () => {
    expect(scoreAt([], 0)).toEqual({ score: 100, components: { compute: 100, network: 100, storage: 100, database: 100, security: 100 } });
  });

  it('takes points off by severity, per component and overall, floored at 0', () => {
    const incidents: HealthIncident[] = [
      { severity: 'P1', component: 'database', openedAt: 0, resolvedAt: null },
      { severity: 'P2', component: 'database', openedAt: 0, resolvedAt: null },
      { severity: 'P3', component: 'network', openedAt: 0, resolvedAt: null },
    ];
    expect(scoreAt(incidents, 1)).toEqual({ score: 62, components: { compute: 100, network: 97, storage: 100, database: 65, security: 100 } });
    const three = Array.from({ length: 3 }, (): HealthIncident => ({ severity: 'P0', component: 'storage', openedAt: 0, resolvedAt: null }));
    expect(scoreAt(three, 1)).toMatchObject({ score: 0, components: { storage: 0, compute: 100 } });
  });

  it('counts an incident from its opening until its resolution, not after', () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const i: HealthIncident = { severity: 'P0', component: 'compute', openedAt: t0 + 10 * MIN, resolvedAt: t0 + 40 * MIN };
    const series = scoreSeries([i], t0, t0 + 60 * MIN, 15 * MIN);
    expect(series).toEqual([
      { at: t0, score: 100 },
      { at: t0 + 15 * MIN, score: 50 },
      { at: t0 + 30 * MIN, score: 50 },
      { at: t0 + 45 * MIN, score: 100 },
      { at: t0 + 60 * MIN, score: 100 },
    ]);
    expect(scoreAt([i], t0 + 40 * MIN).score).toBe(100);
  });

  it('maps a rule to a component by the signals it reads', () => {
    expect(componentOfSignals(['disk_used_percent'])).toBe('storage');
    expect(componentOfSignals(['longest_query_seconds'])).toBe('database');
    expect(componentOfSignals(['redis_memory_used_percent'])).toBe('database');
    expect(componentOfSignals(['http_up'])).toBe('network');
    expect(componentOfSignals(['error_ratio'])).toBe('network');
    expect(componentOfSignals(['tls_days_left'])).toBe('security');
    expect(componentOfSignals(['drift_files'])).toBe('security');
    expect(componentOfSignals(['cpu_percent', 'disk_used_percent'])).toBe('storage');
    expect(componentOfSignals(['process_up'])).toBe('compute');
    expect(componentOfSignals([])).toBe('compute');
  });
});
