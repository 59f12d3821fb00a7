import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';
import { SQLITE } from '../../src/store/dialect.js';
import { migrations } from '../../src/store/migrations/index.js';
import { describeStoreContract, execution, incident, step } from './store-contract.js';

describeStoreContract('sqlite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medic-store-'));
  const store = await openSqliteStore({ dataDir: dir });
  return {
    store,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('sqlite :memory:', async () => {
  const store = await openSqliteStore({ file: ':memory:' });
  return { store, dispose: () => store.close() };
});

describe('sqlite store', () => {
  let dir: string;
  let store: KyselyStore | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-store-'));
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the data directory and medic.db in WAL mode with foreign keys on', async () => {
    const dataDir = join(dir, 'nested', 'data');
    store = await openSqliteStore({ dataDir });
    expect((await stat(join(dataDir, 'medic.db'))).isFile()).toBe(true);
    await store.close();

    const raw = new SqliteDatabase(join(dataDir, 'medic.db'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining([
        'alerts', 'audit_log', 'breakers', 'execution_steps', 'executions', 'incident_timeline', 'incidents', 'settings', 'signals',
      ]));
      const applied = raw.prepare('select name from kysely_migration order by name').pluck().all();
      expect(applied).toEqual(Object.keys(migrations(SQLITE)).sort());
      expect(applied).toContain('002_tokens');
      expect(applied).toContain('003_alerts');
    } finally {
      raw.close();
    }
  });

  it('keeps data and applies no migration twice when reopened', async () => {
    store = await openSqliteStore({ dataDir: dir });
    await store.incidents.insert(incident());
    await store.audit.append({ at: 1, actor: 'engine', kind: 'detection', subject: 'inc-1', details: {}, result: 'ok' });
    await store.close();

    store = await openSqliteStore({ dataDir: dir });
    expect((await store.incidents.get('inc-1'))?.title).toBe(incident().title);
    // The reopened store picks the chain up from the stored head.
    expect((await store.audit.append({ at: 2, actor: 'engine', kind: 'detection', subject: 'inc-1', details: {}, result: 'ok' })).seq).toBe(2);
    expect((await store.audit.verify()).ok).toBe(true);
  });

  it('enforces foreign keys and cascades deletes to timelines and steps', async () => {
    store = await openSqliteStore({ dataDir: dir });
    await expect(
      store.incidents.appendTimeline({ incidentId: 'ghost', at: 1, kind: 'detected', message: 'x', data: null }),
    ).rejects.toThrow(/FOREIGN KEY/);
    await expect(store.executions.putStep(step({ executionId: 'ghost' }))).rejects.toThrow(/FOREIGN KEY/);

    await store.incidents.insert(incident());
    await store.incidents.appendTimeline({ incidentId: 'inc-1', at: 1, kind: 'detected', message: 'x', data: null });
    await store.executions.insert(execution({ incidentId: 'inc-1' }));
    await store.executions.putStep(step());
    // History pruning deletes incidents and executions; their children must go with them.
    await store.db.deleteFrom('incidents').where('id', '=', 'inc-1').execute();
    expect(await store.incidents.timeline('inc-1')).toEqual([]);
    expect((await store.executions.get('exe-1'))?.incidentId).toBeNull();
    await store.db.deleteFrom('executions').where('id', '=', 'exe-1').execute();
    expect(await store.executions.steps('exe-1')).toEqual([]);
  });

  it('can be closed twice', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
