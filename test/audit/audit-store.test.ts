import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, hashEntry } from '../../src/audit/chain.js';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';
import type { AuditInput } from '../../src/store/types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function input(i: number): AuditInput {
  return {
    at: T0 + i * 1000,
    actor: i % 3 === 0 ? 'alice' : 'engine',
    kind: i % 2 === 0 ? 'step' : 'decision',
    subject: `exe-${i % 7}`,
    details: { i, step: 'process.restart', params: { process: 'web', grace: 5000 }, note: `entry ${i}` },
    result: i % 5 === 0 ? 'failed' : 'ok',
  };
}

/** Edits the database file behind the store's back, as an intruder with file access would. */
function tamper(file: string, edit: (db: SqliteDatabase.Database) => void): void {
  const raw = new SqliteDatabase(file);
  try {
    edit(raw);
  } finally {
    raw.close();
  }
}

describe('audit log on SQLite', () => {
  let dir: string;
  let file: string;
  let store: KyselyStore | undefined;

  async function reopen(): Promise<KyselyStore> {
    await store?.close();
    store = await openSqliteStore({ dataDir: dir });
    return store;
  }

  async function fill(n: number): Promise<void> {
    const s = await reopen();
    for (let i = 1; i <= n; i++) await s.audit.append(input(i));
    await s.close();
    store = undefined;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-audit-'));
    file = join(dir, 'medic.db');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies 100 appended entries', async () => {
    await fill(100);
    const s = await reopen();
    expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 100, firstBad: null });
  });

  it('names exactly the entry whose details had one character changed in the file', async () => {
    await fill(100);
    tamper(file, (db) => {
      const row = db.prepare('select details from audit_log where seq = 37').get() as { details: string };
      const changed = row.details.replace('entry 37', 'entry 38');
      expect(changed.length).toBe(row.details.length);
      db.prepare('update audit_log set details = ? where seq = 37').run(changed);
    });
    const s = await reopen();
    expect(await s.audit.verify()).toMatchObject({
      ok: false,
      checked: 37,
      firstBad: { seq: 37, reason: 'hash mismatch: entry content changed' },
    });
  });

  it('reports a change that leaves the details unparseable as a hash mismatch, not a crash', async () => {
    await fill(10);
    tamper(file, (db) => {
      db.prepare("update audit_log set details = substr(details, 1, length(details) - 1) || ']' where seq = 4").run();
    });
    const s = await reopen();
    expect((await s.audit.verify()).firstBad).toEqual({ seq: 4, reason: 'hash mismatch: entry content changed' });
  });

  it('detects a change to any other column of an entry', async () => {
    await fill(10);
    tamper(file, (db) => db.prepare("update audit_log set result = 'ok' where seq = 5").run());
    const s = await reopen();
    expect((await s.audit.verify()).firstBad).toEqual({ seq: 5, reason: 'hash mismatch: entry content changed' });
  });

  it('names a deleted entry itself', async () => {
    await fill(100);
    tamper(file, (db) => db.prepare('delete from audit_log where seq = 50').run());
    const s = await reopen();
    expect(await s.audit.verify()).toMatchObject({
      ok: false,
      checked: 50,
      firstBad: { seq: 50, reason: 'missing entry 50: deleted or out of order (the next entry is 51)' },
    });
  });

  it('detects a deleted first entry against the genesis hash', async () => {
    await fill(3);
    tamper(file, (db) => db.prepare('delete from audit_log where seq = 1').run());
    const s = await reopen();
    expect((await s.audit.verify()).firstBad).toEqual({ seq: 1, reason: 'missing entry 1: deleted or out of order (the next entry is 2)' });
  });

  it('detects a rewritten entry whose hash was recomputed, at the next link', async () => {
    await fill(10);
    // An intruder who knows the algorithm can fix the edited entry's own hash,
    // but not the next entry's prev_hash without breaking that entry's hash.
    tamper(file, (db) => {
      const row = db.prepare('select * from audit_log where seq = 6').get() as Record<string, string | number>;
      const details = { ...(JSON.parse(String(row.details)) as object), note: 'nothing happened' };
      const fields = {
        seq: 6,
        at: Number(row.at),
        actor: String(row.actor),
        kind: String(row.kind),
        subject: String(row.subject),
        details,
        result: String(row.result),
      };
      const hash = hashEntry(String(row.prev_hash), fields);
      db.prepare('update audit_log set details = ?, hash = ? where seq = 6').run(canonicalJson(details), hash);
    });
    const s = await reopen();
    expect((await s.audit.verify()).firstBad).toEqual({ seq: 7, reason: 'broken link: prev_hash does not match entry 6' });
  });

  it('keeps 50 concurrent appends one valid chain, in call order', async () => {
    const s = await reopen();
    const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => s.audit.append(input(i + 1))));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(entries.map((e) => e.details.i)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (let i = 1; i < entries.length; i++) expect(entries[i]?.prevHash).toBe(entries[i - 1]?.hash);
    expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 50, firstBad: null });
  });

  it('goes on after a failed append: the queue is not poisoned', async () => {
    const s = await reopen();
    const results = await Promise.allSettled([
      s.audit.append(input(1)),
      // bigint has no JSON form: this append must fail alone.
      s.audit.append({ ...input(2), details: { big: 1n } }),
      s.audit.append(input(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await s.audit.list()).items.map((e) => e.seq)).toEqual([2, 1]);
    expect((await s.audit.verify()).ok).toBe(true);
  });

  it('keeps one chain when two stores append to the same file', async () => {
    // A CLI command appending while the engine runs: the engine's cached head
    // goes stale, its insert collides on seq, and it re-reads the head.
    const a = await reopen();
    const b = await openSqliteStore({ dataDir: dir });
    try {
      await a.audit.append(input(1));
      await b.audit.append(input(2));
      await a.audit.append(input(3));
      await b.audit.append(input(4));
      const seqs = (await a.audit.list()).items.map((e) => e.seq);
      expect(seqs).toEqual([4, 3, 2, 1]);
      expect((await a.audit.verify()).ok).toBe(true);
    } finally {
      await b.close();
    }
  });

  it('notices a truncated tail that the chain alone cannot show', async () => {
    const s = await reopen();
    for (let i = 1; i <= 5; i++) await s.audit.append(input(i));
    await s.db.deleteFrom('audit_log').where('seq', '>=', 4).execute();
    expect((await s.audit.verify()).firstBad).toEqual({
      seq: 4,
      reason: 'missing entries 4..5: the log ends at seq 3 but the head this process appended says seq 5 existed',
    });
  });

  it('streams a log longer than one verification page', async () => {
    const s = await reopen();
    for (let i = 1; i <= 2500; i++) await s.audit.append(input(i));
    expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 2500, firstBad: null });
  });
});
