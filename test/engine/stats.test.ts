import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Condition } from '../../src/core/condition.js';
import type { CompiledRule } from '../../src/config/types.js';
import { healthScore, incidentStats, stats } from '../../src/views/stats.js';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';
import { execution, incident } from '../store/store-contract.js';
import { FakeClock } from '../support/fake-clock.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

function rule(name: string, signal: string, labels: Record<string, string> = {}): CompiledRule {
  const condition: Condition = { kind: 'compare', value: { signal, fn: 'last' }, op: 'gt', threshold: 1 };
  return { name, description: '', targets: null, bands: [{ severity: 'P2', condition }], forMs: 0, cooldownMs: null, priority: 0, runbooks: [], labels };
}

describe('stats from the store', () => {
  let store: KyselyStore;
  const clock = new FakeClock();
  const now = clock.now();
  beforeEach(async () => {
    store = await openSqliteStore({ file: ':memory:' });
  });
  afterEach(async () => store.close());

  it('counts detections, outcomes and MTTR over the window, per runbook', async () => {
    // Three incidents fixed in 2, 4 and 10 minutes; one failed fix; one from two days ago.
    const fixes = [['i1', 2], ['i2', 4], ['i3', 10]] as const;
    for (const [id, mins] of fixes) {
      const opened = now - HOUR;
      await store.incidents.insert(incident({ id, fingerprint: id, status: 'resolved', openedAt: opened, resolvedAt: opened + mins * MIN }));
      await store.executions.insert(execution({ id: `e-${id}`, incidentId: id, runbook: 'restart', status: 'succeeded', createdAt: opened + MIN, startedAt: opened + MIN }));
    }
    await store.incidents.insert(incident({ id: 'i4', fingerprint: 'i4', status: 'escalated', openedAt: now - 30 * MIN }));
    await store.executions.insert(execution({ id: 'e-i4', incidentId: 'i4', runbook: 'scale', status: 'failed', createdAt: now - 29 * MIN, startedAt: now - 29 * MIN }));
    await store.executions.insert(execution({ id: 'e-dry', runbook: 'scale', status: 'dry_run', createdAt: now - 5 * MIN }));
    await store.incidents.insert(incident({ id: 'old', fingerprint: 'old', status: 'resolved', openedAt: now - 48 * HOUR, resolvedAt: now - 47 * HOUR }));
    await store.executions.insert(execution({ id: 'e-old', incidentId: 'old', runbook: 'restart', status: 'succeeded', createdAt: now - 48 * HOUR, startedAt: now - 48 * HOUR }));

    const day = await stats(store, '24h', now);
    expect(day).toMatchObject({ window: '24h', detected: 4, executed: 4, succeeded: 3, failed: 1, rolledBack: 0, successRate: 0.75, mttrMs: { median: 4 * MIN, p90: 8.8 * MIN } });
    expect(day.perRunbook.map((r) => [r.runbook, r.executed, r.successRate, r.mttrMs])).toEqual([
      ['restart', 3, 1, { median: 4 * MIN, p90: 8.8 * MIN }],
      ['scale', 1, 0, null],
    ]);
    const week = await stats(store, '7d', now);
    expect(week).toMatchObject({ detected: 5, executed: 5, succeeded: 4 });
    await expect(stats(store, '1y', now)).rejects.toMatchObject({ code: 'bad_request', details: { field: 'window' } });
  });

  it('has nothing to rate on an empty store', async () => {
    expect(await stats(store, '30d', now)).toEqual({ window: '30d', detected: 0, executed: 0, succeeded: 0, failed: 0, rolledBack: 0, successRate: null, mttrMs: null, perRunbook: [] });
  });

  it('counts incidents by rule, severity and status in a range', async () => {
    await store.incidents.insert(incident({ id: 'a', fingerprint: 'a', rule: 'disk', severity: 'P1', status: 'open', openedAt: now - 10 }));
    await store.incidents.insert(incident({ id: 'b', fingerprint: 'b', rule: 'disk', severity: 'P2', status: 'resolved', openedAt: now - 5 }));
    await store.incidents.insert(incident({ id: 'c', fingerprint: 'c', rule: 'cpu', severity: 'P2', status: 'resolved', openedAt: now - HOUR }));
    expect(await incidentStats(store, { since: now - MIN })).toEqual({ byRule: { disk: 2 }, bySeverity: { P0: 0, P1: 1, P2: 1, P3: 0 }, byStatus: { open: 1, resolved: 1 }, total: 2 });
    expect((await incidentStats(store, {})).total).toBe(3);
    await expect(incidentStats(store, { since: -1 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('scores health from open incidents by component, with a 24 h series', async () => {
    const rules = new Map([['disk', rule('disk', 'disk_used_percent')], ['slow', rule('slow', 'cpu_percent', { component: 'database' })]]);
    await store.incidents.insert(incident({ id: 'a', fingerprint: 'a', rule: 'disk', severity: 'P1', status: 'open', openedAt: now - 2 * HOUR, labels: {} }));
    await store.incidents.insert(incident({ id: 'b', fingerprint: 'b', rule: 'slow', severity: 'P2', status: 'remediating', openedAt: now - 30 * MIN, labels: {} }));
    await store.incidents.insert(incident({ id: 'c', fingerprint: 'c', rule: 'tls', severity: 'P0', status: 'resolved', openedAt: now - 10 * HOUR, resolvedAt: now - 9 * HOUR, labels: { component: 'security' } }));
    // The rule's own `component` field names it too.
    rules.set('ping', { ...rule('ping', 'cpu_percent'), component: 'network' });
    await store.incidents.insert(incident({ id: 'd', fingerprint: 'd', rule: 'ping', severity: 'P3', status: 'escalated', openedAt: now - MIN, labels: {} }));
    const h = await healthScore(store, rules, now);
    expect(h.score).toBe(62);
    expect(h.components).toEqual({ compute: 100, network: 97, storage: 75, database: 90, security: 100 });
    expect(h.series).toHaveLength(97);
    expect(h.series[0]).toEqual({ at: now - 24 * HOUR, score: 100 });
    expect(h.series.at(-1)).toEqual({ at: now, score: 62 });
    expect(h.series.find((p) => p.at === now - 10 * HOUR + 15 * MIN)?.score).toBe(50);
  });
});
