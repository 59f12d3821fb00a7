import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Execution, Incident, StepRecord } from '../../src/core/records.js';
import type { Signal } from '../../src/core/signal.js';
import type { Store } from '../../src/store/types.js';

/**
 * The storage contract every backend must pass. Each backend's test file
 * calls describeStoreContract with a factory that opens a fresh, empty store
 * (SQLite now; PostgreSQL joins by adding a factory, not tests).
 */
export interface StoreHandle {
  readonly store: Store;
  dispose(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHandle>;

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-1',
    fingerprint: 'fp-1',
    rule: 'disk_full',
    target: 'web-1',
    severity: 'P2',
    status: 'open',
    title: 'Disk /var 85 % full',
    labels: { mount: '/var' },
    value: 85.5,
    source: 'rule',
    openedAt: T0,
    updatedAt: T0,
    resolvedAt: null,
    silenced: false,
    ...over,
  };
}

export function execution(over: Partial<Execution> = {}): Execution {
  return {
    id: 'exe-1',
    incidentId: null,
    runbook: 'restart-web',
    target: 'web-1',
    severity: 'P2',
    status: 'pending',
    strategy: 0,
    reason: 'auto: P2',
    requestedBy: 'engine',
    approvedBy: null,
    dryRun: false,
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    error: null,
    plan: { runbook: 'restart-web', risk: 'low', steps: [{ action: 'process.restart' }] },
    ...over,
  };
}

export function step(over: Partial<StepRecord> = {}): StepRecord {
  return {
    executionId: 'exe-1',
    seq: 0,
    strategy: 0,
    index: 0,
    phase: 'step',
    name: 'restart',
    action: 'process.restart',
    params: { process: 'web', grace: 5000 },
    status: 'running',
    attempts: 1,
    startedAt: T0,
    finishedAt: null,
    output: null,
    error: null,
    rollbackState: undefined,
    ...over,
  };
}

function signal(over: Partial<Signal> = {}): Signal {
  return { source: 'host', target: 'web-1', name: 'disk_used_pct', value: 50, labels: { mount: '/' }, at: T0, ...over };
}

export function describeStoreContract(backend: string, factory: StoreFactory): void {
  describe(`store contract (${backend})`, () => {
    let handle: StoreHandle;
    let store: Store;

    beforeEach(async () => {
      handle = await factory();
      store = handle.store;
    });
    afterEach(async () => {
      await handle.dispose();
    });

    describe('incidents', () => {
      it('round-trips every field, JSON labels and the silenced boolean included', async () => {
        const inc = incident({ silenced: true, value: null, labels: { mount: '/var', dc: 'fra' } });
        await store.incidents.insert(inc);
        expect(await store.incidents.get('inc-1')).toEqual(inc);
        expect(await store.incidents.get('nope')).toBeUndefined();
      });

      it('updates only the fields in the patch', async () => {
        await store.incidents.insert(incident());
        await store.incidents.update('inc-1', { resolvedAt: T0 + MIN, updatedAt: T0 + MIN, silenced: true });
        expect(await store.incidents.get('inc-1')).toEqual(incident({ resolvedAt: T0 + MIN, updatedAt: T0 + MIN, silenced: true }));
      });

      it('never writes a status through update, even past the type: only move does', async () => {
        await store.incidents.insert(incident());
        const patch = { status: 'resolved' } as unknown as Parameters<typeof store.incidents.update>[1];
        await expect(store.incidents.update('inc-1', patch)).rejects.toThrow(/a status moves only through incidents.move/);
        expect((await store.incidents.get('inc-1'))?.status).toBe('open');
      });

      it('moves a status by the core table, compare-and-set on the status the caller read', async () => {
        const open = incident();
        await store.incidents.insert(open);
        const moved = await store.incidents.move(open, 'resolved', T0 + MIN);
        expect(moved).toEqual(incident({ status: 'resolved', updatedAt: T0 + MIN, resolvedAt: T0 + MIN }));
        expect(await store.incidents.get('inc-1')).toEqual(moved);
        // A stale copy (still "open") changes nothing: someone moved it first.
        expect(await store.incidents.move(open, 'remediating', T0 + 2 * MIN)).toBeNull();
        // A move the table forbids is refused before anything is written.
        await expect(store.incidents.move(moved!, 'open', T0 + 3 * MIN)).rejects.toThrow(/cannot go from resolved to open/);
        expect((await store.incidents.get('inc-1'))?.status).toBe('resolved');
      });

      it('refuses to update an incident that does not exist', async () => {
        await expect(store.incidents.update('ghost', { silenced: true })).rejects.toMatchObject({ code: 'not_found' });
        await expect(store.incidents.update('ghost', {})).rejects.toMatchObject({ code: 'not_found' });
      });

      it('finds the active incident of a fingerprint, never a resolved or failed one', async () => {
        await store.incidents.insert(incident({ id: 'old', status: 'resolved', openedAt: T0 - 10 * MIN }));
        await store.incidents.insert(incident({ id: 'failed', status: 'failed', openedAt: T0 - 5 * MIN }));
        expect(await store.incidents.findActive('fp-1')).toBeUndefined();

        await store.incidents.insert(incident({ id: 'now', status: 'remediating' }));
        await store.incidents.insert(incident({ id: 'other', fingerprint: 'fp-2' }));
        expect((await store.incidents.findActive('fp-1'))?.id).toBe('now');

        const escalated = await store.incidents.move(incident({ id: 'now', status: 'remediating' }), 'escalated', T0);
        expect((await store.incidents.findActive('fp-1'))?.id).toBe('now');
        await store.incidents.move(escalated!, 'resolved', T0);
        expect(await store.incidents.findActive('fp-1')).toBeUndefined();
      });

      it('lists with filters, a total count and pagination, newest first by default', async () => {
        for (let i = 0; i < 12; i++) {
          await store.incidents.insert(
            incident({
              id: `inc-${String(i).padStart(2, '0')}`,
              fingerprint: `fp-${i}`,
              openedAt: T0 + i * MIN,
              severity: i % 2 === 0 ? 'P1' : 'P3',
              status: i < 4 ? 'resolved' : 'open',
              target: i % 3 === 0 ? 'db-1' : 'web-1',
              rule: i === 7 ? 'crashed' : 'disk_full',
            }),
          );
        }
        const all = await store.incidents.list();
        expect(all.total).toBe(12);
        expect(all.items.map((x) => x.id).slice(0, 2)).toEqual(['inc-11', 'inc-10']);

        const page = await store.incidents.list({ status: ['open'], limit: 3, offset: 2 });
        expect(page.total).toBe(8);
        expect(page.items.map((x) => x.id)).toEqual(['inc-09', 'inc-08', 'inc-07']);

        const asc = await store.incidents.list({ order: 'asc', limit: 2 });
        expect(asc.items.map((x) => x.id)).toEqual(['inc-00', 'inc-01']);

        const offsetOnly = await store.incidents.list({ offset: 10 });
        expect(offsetOnly.items.map((x) => x.id)).toEqual(['inc-01', 'inc-00']);

        expect((await store.incidents.list({ severity: ['P1'] })).total).toBe(6);
        expect((await store.incidents.list({ target: 'db-1' })).total).toBe(4);
        expect((await store.incidents.list({ rule: 'crashed' })).items.map((x) => x.id)).toEqual(['inc-07']);
        // since inclusive, until exclusive
        const window = await store.incidents.list({ since: T0 + 2 * MIN, until: T0 + 5 * MIN, order: 'asc' });
        expect(window.items.map((x) => x.id)).toEqual(['inc-02', 'inc-03', 'inc-04']);
        expect(await store.incidents.list({ status: [] })).toEqual({ items: [], total: 0 });
        await expect(store.incidents.list({ limit: -1 })).rejects.toThrow(RangeError);
      });

      it('keeps the timeline in time order, insertion order for equal times', async () => {
        await store.incidents.insert(incident());
        await store.incidents.insert(incident({ id: 'inc-2', fingerprint: 'fp-2' }));
        await store.incidents.appendTimeline({ incidentId: 'inc-1', at: T0 + 2000, kind: 'decided', message: 'auto: P2', data: { runbook: 'r' } });
        await store.incidents.appendTimeline({ incidentId: 'inc-1', at: T0, kind: 'detected', message: 'disk 85 %', data: null });
        await store.incidents.appendTimeline({ incidentId: 'inc-2', at: T0, kind: 'detected', message: 'other', data: null });
        await store.incidents.appendTimeline({ incidentId: 'inc-1', at: T0 + 2000, kind: 'step', message: 'restart', data: { seq: 0 } });

        const tl = await store.incidents.timeline('inc-1');
        expect(tl.map((e) => e.kind)).toEqual(['detected', 'decided', 'step']);
        expect(tl[0]).toMatchObject({ incidentId: 'inc-1', at: T0, message: 'disk 85 %', data: null });
        expect(tl[1]?.data).toEqual({ runbook: 'r' });
        expect(typeof tl[0]?.id).toBe('number');
        expect(await store.incidents.timeline('nobody')).toEqual([]);
      });
    });

    describe('executions', () => {
      it('round-trips an execution with its JSON plan and dry-run flag', async () => {
        const exe = execution({ dryRun: true, approvedBy: 'alice' });
        await store.executions.insert(exe);
        expect(await store.executions.get('exe-1')).toEqual(exe);
        expect(await store.executions.get('nope')).toBeUndefined();
      });

      it('updates, and refuses unknown ids', async () => {
        await store.executions.insert(execution());
        await store.executions.update('exe-1', { startedAt: T0 + 1, finishedAt: T0 + 2, strategy: 1 });
        expect(await store.executions.get('exe-1')).toEqual(execution({ startedAt: T0 + 1, finishedAt: T0 + 2, strategy: 1 }));
        await expect(store.executions.update('ghost', { error: 'x' })).rejects.toMatchObject({ code: 'not_found' });
      });

      it('never writes a status through update, even past the type: only move does', async () => {
        await store.executions.insert(execution());
        const before = await store.executions.get('exe-1');
        const patch = { status: 'succeeded' } as unknown as Parameters<typeof store.executions.update>[1];
        await expect(store.executions.update('exe-1', patch)).rejects.toThrow(/a status moves only through executions.move/);
        expect(await store.executions.get('exe-1')).toEqual(before);
      });

      it('moves a status by the core table with its patch, compare-and-set on the status the caller read', async () => {
        const first = execution();
        await store.executions.insert(first);
        const moved = await store.executions.move(first, 'running', { startedAt: T0 + 1 });
        expect(moved).toEqual({ ...first, status: 'running', startedAt: T0 + 1 });
        expect(await store.executions.get('exe-1')).toEqual(moved);
        // A stale copy changes nothing: someone else decided first.
        expect(await store.executions.move(first, 'cancelled')).toBeNull();
        // The table forbids running → pending, and awaiting_approval → running: refused before any write.
        await expect(store.executions.move({ ...first, status: 'running' }, 'pending')).rejects.toThrow(/cannot go from running to pending/);
        await expect(store.executions.move({ ...first, status: 'awaiting_approval' }, 'running')).rejects.toThrow(/cannot go from awaiting_approval to running/);
        expect(await store.executions.get('exe-1')).toEqual(moved);
      });

      it('keeps how often a shadowed execution would have run again', async () => {
        await store.executions.insert(execution({ status: 'shadowed' }));
        await store.executions.update('exe-1', { shadowRepeats: 4 });
        expect((await store.executions.get('exe-1'))?.shadowRepeats).toBe(4);
      });

      it('lists with filters and pagination', async () => {
        await store.incidents.insert(incident());
        for (let i = 0; i < 6; i++) {
          await store.executions.insert(
            execution({
              id: `exe-${i}`,
              incidentId: i < 2 ? 'inc-1' : null,
              runbook: i % 2 === 0 ? 'restart-web' : 'scale-up',
              target: i < 3 ? 'web-1' : 'web-2',
              status: i === 5 ? 'running' : 'succeeded',
              createdAt: T0 + i * MIN,
            }),
          );
        }
        const page = await store.executions.list({ limit: 2, offset: 1 });
        expect(page.total).toBe(6);
        expect(page.items.map((e) => e.id)).toEqual(['exe-4', 'exe-3']);
        expect((await store.executions.list({ incidentId: 'inc-1' })).total).toBe(2);
        expect((await store.executions.list({ runbook: 'scale-up' })).total).toBe(3);
        expect((await store.executions.list({ target: 'web-2', status: ['running'] })).items.map((e) => e.id)).toEqual(['exe-5']);
        expect((await store.executions.list({ since: T0 + MIN, until: T0 + 3 * MIN, order: 'asc' })).items.map((e) => e.id)).toEqual([
          'exe-1',
          'exe-2',
        ]);
      });

      it('upserts steps by (execution, seq) and returns them in seq order', async () => {
        await store.executions.insert(execution());
        await store.executions.putStep(step({ seq: 1, index: 1, name: 'verify', phase: 'verify' }));
        await store.executions.putStep(step({ seq: 0 }));
        const finished = step({ seq: 0, status: 'succeeded', attempts: 2, finishedAt: T0 + 500, output: 'ok', rollbackState: { pid: 42 } });
        await store.executions.putStep(finished);

        const steps = await store.executions.steps('exe-1');
        expect(steps).toHaveLength(2);
        expect(steps[0]).toEqual(finished);
        expect(steps[1]).toEqual(step({ seq: 1, index: 1, name: 'verify', phase: 'verify' }));
        expect(await store.executions.steps('other')).toEqual([]);
      });

      it('tells a rollback state of null from none at all', async () => {
        await store.executions.insert(execution());
        await store.executions.putStep(step({ seq: 0, rollbackState: null }));
        await store.executions.putStep(step({ seq: 1, rollbackState: undefined }));
        await store.executions.putStep(step({ seq: 2, rollbackState: [1, 'two'] }));
        const [a, b, c] = await store.executions.steps('exe-1');
        expect(a?.rollbackState).toBeNull();
        expect(b?.rollbackState).toBeUndefined();
        expect(c?.rollbackState).toEqual([1, 'two']);
      });
    });

    describe('signals', () => {
      it('appends a large batch and queries one series oldest first from `since`', async () => {
        const batch: Signal[] = [];
        for (let i = 0; i < 12_000; i++) {
          batch.push(signal({ target: `web-${i % 3}`, at: T0 + Math.floor(i / 3) * 1000, value: i }));
        }
        batch.push(signal({ name: 'cpu_pct', value: 99, labels: { core: 'all' } }));
        await store.signals.append(batch);
        await store.signals.append([]);

        const got = await store.signals.query('web-0', 'disk_used_pct', T0 + 3_990_000);
        expect(got.map((s) => s.at)).toEqual([...Array(10).keys()].map((k) => T0 + 3_990_000 + k * 1000));
        expect(got[0]).toEqual(signal({ target: 'web-0', at: T0 + 3_990_000, value: 3990 * 3 }));
        expect(await store.signals.query('web-1', 'cpu_pct', 0)).toEqual([signal({ name: 'cpu_pct', value: 99, labels: { core: 'all' } })]);
      });

      it('prunes samples older than a time and says how many', async () => {
        await store.signals.append([0, 1, 2, 3, 4].map((i) => signal({ at: T0 + i * MIN, value: i })));
        expect(await store.signals.prune(T0 + 2 * MIN)).toBe(2);
        expect((await store.signals.query('web-1', 'disk_used_pct', 0)).map((s) => s.value)).toEqual([2, 3, 4]);
        expect(await store.signals.prune(T0)).toBe(0);
      });

      it('lists every series oldest first, by time window and target (the export for backtests)', async () => {
        await store.signals.append([3, 1, 2, 0].map((i) => signal({ target: `web-${i % 2}`, at: T0 + i * MIN, value: i })));
        expect((await store.signals.list()).map((s) => s.value)).toEqual([0, 1, 2, 3]);
        expect((await store.signals.list({ since: T0 + MIN, until: T0 + 3 * MIN })).map((s) => s.value)).toEqual([1, 2]);
        expect((await store.signals.list({ target: 'web-1' })).map((s) => s.value)).toEqual([1, 3]);
        expect(await store.signals.list({ limit: 1 })).toEqual([signal({ target: 'web-0', at: T0, value: 0 })]);
      });
    });

    describe('settings', () => {
      it('stores JSON values by key and overwrites', async () => {
        expect(await store.settings.get('kill_switch')).toBeUndefined();
        await store.settings.put('kill_switch', false, T0);
        await store.settings.put('thresholds', { disk: { p2: 80, p1: 90 } }, T0);
        await store.settings.put('kill_switch', true, T0 + 1);
        expect(await store.settings.get<boolean>('kill_switch')).toBe(true);
        expect(await store.settings.get('thresholds')).toEqual({ disk: { p2: 80, p1: 90 } });
        expect(await store.settings.all()).toEqual({ kill_switch: true, thresholds: { disk: { p2: 80, p1: 90 } } });
      });
    });

    describe('breakers', () => {
      it('puts, replaces and lists breaker records', async () => {
        expect(await store.breakers.get('restart-web|web-1')).toBeUndefined();
        await store.breakers.put({ key: 'restart-web|web-1', state: 'closed', failures: [T0], openedAt: null, reason: null });
        await store.breakers.put({ key: 'a|b', state: 'closed', failures: [], openedAt: null, reason: null });
        const open = { key: 'restart-web|web-1', state: 'open' as const, failures: [T0, T0 + 1, T0 + 2], openedAt: T0 + 2, reason: 'restart loop: ran 3 times' };
        await store.breakers.put(open);
        expect(await store.breakers.get('restart-web|web-1')).toEqual(open);
        expect((await store.breakers.list()).map((b) => b.key)).toEqual(['a|b', 'restart-web|web-1']);
      });
    });

    describe('silences', () => {
      it('keep matchers and times, list those not yet ended, and move the end when expired', async () => {
        const s = { id: 'sil-1', matchers: [{ label: 'target', op: '=~' as const, value: 'web-.*' }], startsAt: T0, endsAt: T0 + 60 * MIN, createdBy: 'alice', comment: 'deploy', createdAt: T0 };
        await store.silences.insert(s);
        await store.silences.insert({ ...s, id: 'sil-2', endsAt: T0 + MIN, createdAt: T0 + 1 });
        expect(await store.silences.get('sil-1')).toEqual(s);
        expect((await store.silences.list()).map((x) => x.id)).toEqual(['sil-2', 'sil-1']);
        expect((await store.silences.list(T0 + 2 * MIN)).map((x) => x.id)).toEqual(['sil-1']);
        await store.silences.setEndsAt('sil-1', T0 + 5);
        expect((await store.silences.get('sil-1'))?.endsAt).toBe(T0 + 5);
        await expect(store.silences.setEndsAt('nope', T0)).rejects.toThrow(/no record/);
      });
    });

    describe('runtime rules', () => {
      it('put replaces the spec but keeps who created it, and delete says whether there was one', async () => {
        await store.runtimeRules.put({ name: 'r', spec: { name: 'r', severity: 'P2' }, createdBy: 'alice', createdAt: T0, updatedAt: T0 });
        await store.runtimeRules.put({ name: 'r', spec: { name: 'r', severity: 'P1' }, createdBy: 'bob', createdAt: T0 + 9, updatedAt: T0 + 9 });
        expect(await store.runtimeRules.list()).toEqual([{ name: 'r', spec: { name: 'r', severity: 'P1' }, createdBy: 'alice', createdAt: T0, updatedAt: T0 + 9 }]);
        expect(await store.runtimeRules.delete('r')).toBe(true);
        expect(await store.runtimeRules.delete('r')).toBe(false);
        expect(await store.runtimeRules.list()).toEqual([]);
      });
    });

    describe('audit', () => {
      it('chains appended entries and lists them newest first with filters', async () => {
        const first = await store.audit.append({ at: T0, actor: 'engine', kind: 'detection', subject: 'inc-1', details: { rule: 'disk_full' }, result: 'ok' });
        expect(first.seq).toBe(1);
        expect(first.prevHash).toBe('0'.repeat(64));
        expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
        for (let i = 2; i <= 5; i++) {
          await store.audit.append({ at: T0 + i, actor: i % 2 ? 'alice' : 'engine', kind: 'step', subject: 'exe-1', details: { i }, result: 'ok' });
        }
        const all = await store.audit.list();
        expect(all.total).toBe(5);
        expect(all.items.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
        expect(all.items[3]?.prevHash).toBe(first.hash);
        expect(all.items[4]).toEqual(first);

        expect((await store.audit.list({ kind: 'step', limit: 2, offset: 1 })).items.map((e) => e.seq)).toEqual([4, 3]);
        expect((await store.audit.list({ actor: 'alice' })).total).toBe(2);
        expect((await store.audit.list({ subject: 'inc-1' })).total).toBe(1);
        expect((await store.audit.list({ since: T0 + 3, until: T0 + 5 })).items.map((e) => e.seq)).toEqual([4, 3]);
        expect(await store.audit.verify()).toMatchObject({ ok: true, checked: 5, firstBad: null, head: { seq: 5 } });
      });

      it('redacts secrets in details before they are hashed into the chain', async () => {
        const entry = await store.audit.append({
          at: T0,
          actor: 'alice',
          kind: 'setting',
          subject: 'notify.slack',
          details: { webhook: 'https://hooks.example/x?token=abc123', dsn: 'postgres://medic:hunter2@db/medic', password: 'hunter2' },
          result: 'ok',
        });
        const stored = (await store.audit.list()).items[0];
        expect(stored?.details).toEqual({
          webhook: 'https://hooks.example/x?token=[redacted]',
          dsn: 'postgres://medic:***@db/medic',
          password: '[redacted]',
        });
        expect(stored).toEqual(entry);
        expect(JSON.stringify(stored)).not.toContain('hunter2');
        expect((await store.audit.verify()).ok).toBe(true);
      });

      it('verifies an empty log', async () => {
        expect(await store.audit.verify()).toMatchObject({ ok: true, checked: 0, firstBad: null, head: { seq: 0 } });
      });
    });
  });
}
