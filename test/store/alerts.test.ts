import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/core/records.js';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';

const row = (i: number, over: Partial<AlertRecord> = {}): Omit<AlertRecord, 'id'> => ({
  receivedAt: 1_000 + i, source: 'alertmanager', sender: 'secret', fingerprint: `fp${i % 3}`, status: 'firing',
  startsAt: 500, endsAt: null, labels: { alertname: 'A', i: String(i) }, annotations: {},
  rule: 'r', target: 't', severity: 'P2', outcome: 'firing', reason: null, ...over,
});

describe('alert store', () => {
  let store: KyselyStore;
  afterEach(async () => store?.close());

  it('appends batches larger than one statement, lists by outcome, and gives the newest row per fingerprint', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    await store.alerts.append(Array.from({ length: 1_234 }, (_, i) => row(i, i % 10 === 0 ? { outcome: 'unrouted', rule: null, target: null, severity: null, reason: 'no route' } : {})));
    expect((await store.alerts.list({ limit: 0 })).total).toBe(1_234);
    const unrouted = await store.alerts.list({ outcome: ['unrouted'], limit: 2 });
    expect(unrouted.total).toBe(124);
    expect(unrouted.items.map((a) => a.labels['i'])).toEqual(['1230', '1220']);
    const latest = await store.alerts.latest(0);
    expect(latest.map((a) => [a.fingerprint, a.labels['i']])).toEqual([['fp1', '1231'], ['fp2', '1232'], ['fp0', '1233']]);
    expect(await store.alerts.prune(1_000 + 1_000)).toBe(1_000);
  });
});
