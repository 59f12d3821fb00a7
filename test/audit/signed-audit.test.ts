import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashEntry } from '../../src/audit/chain.js';
import { AUDIT_HEAD_FILE_NAME, AUDIT_KEY_FILE_NAME, loadAuditKeys, rotateAuditKeyFile } from '../../src/audit/key-file.js';
import { AuditKeyring } from '../../src/audit/signing.js';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';
import type { AuditInput } from '../../src/store/types.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const KEY = 'k'.repeat(40);

function input(i: number): AuditInput {
  return { at: T0 + i * 1000, actor: 'engine', kind: 'step', subject: `exe-${i % 7}`, details: { i, note: `entry ${i}` }, result: 'ok' };
}

type Row = { seq: number; at: number; actor: string; kind: string; subject: string; details: string; result: string; prev_hash: string; hash: string; mac: string | null };

/** Edits the database file behind the store's back, as an intruder with write access (and no key) would. */
function tamper(file: string, edit: (db: SqliteDatabase.Database) => void): void {
  const raw = new SqliteDatabase(file);
  try {
    edit(raw);
  } finally {
    raw.close();
  }
}

/** What an intruder who knows the algorithm can do: recompute every hash from `seq` on, keeping the MACs as they were. */
function rechain(db: SqliteDatabase.Database, from: number, keepMac = true): void {
  const rows = db.prepare('select * from audit_log where seq >= ? order by seq').all(from) as Row[];
  let prev = (db.prepare('select hash from audit_log where seq = ?').get(from - 1) as { hash: string } | undefined)?.hash ?? '0'.repeat(64);
  for (const r of rows) {
    const hash = hashEntry(prev, { seq: r.seq, at: r.at, actor: r.actor, kind: r.kind, subject: r.subject, details: JSON.parse(r.details) as unknown, result: r.result });
    db.prepare('update audit_log set prev_hash = ?, hash = ?, mac = ? where seq = ?').run(prev, hash, keepMac ? r.mac : null, r.seq);
    prev = hash;
  }
}

describe('signed audit log', () => {
  let dir: string;
  let file: string;
  let store: KyselyStore | undefined;
  const keys = new AuditKeyring([KEY]);

  async function open(ring = keys): Promise<KyselyStore> {
    await store?.close();
    store = await openSqliteStore({ dataDir: dir, audit: { keys: ring, checkpointEvery: 10, now: () => T0 } });
    return store;
  }

  /** An engine's life: start (seal), n appends, shutdown (seal). */
  async function run(n: number, from = 1): Promise<void> {
    const s = await open();
    await s.audit.seal();
    for (let i = from; i < from + n; i++) await s.audit.append(input(i));
    await s.audit.seal();
    await s.close();
    store = undefined;
  }

  async function verify(ring = keys) {
    return (await open(ring)).audit.verify();
  }

  /** What verify proved before the key: the hash chain alone. */
  async function chainOnly() {
    await store?.close();
    store = await openSqliteStore({ dataDir: dir });
    return store.audit.verify();
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-signed-'));
    file = join(dir, 'medic.db');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies a signed log, with a checkpoint every N entries and the head in a file beside it', async () => {
    await run(95);
    expect(await verify()).toEqual({
      ok: true, checked: 95, firstBad: null, signed: true, unsigned: 0,
      head: { seq: 95, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as string },
      checkpoint: { seq: 95, hash: expect.any(String) as string, at: T0 },
    });
    const cps = new SqliteDatabase(file).prepare('select seq from audit_checkpoints order by seq').all() as { seq: number }[];
    // Seq 0: where signing began (the first start, on an empty log).
    expect(cps.map((c) => c.seq)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95]);
    const head = JSON.parse(readFileSync(join(dir, AUDIT_HEAD_FILE_NAME), 'utf8')) as Record<string, unknown>;
    expect(head).toEqual({ seq: 95, hash: expect.any(String) as string, at: T0, mac: expect.stringMatching(new RegExp(`^${keys.currentId}:[0-9a-f]{64}$`)) as string });
  });

  it('names a deleted middle entry', async () => {
    await run(40);
    tamper(file, (db) => db.prepare('delete from audit_log where seq = 17').run());
    expect((await verify()).firstBad).toEqual({ seq: 17, reason: 'missing entry 17: deleted or out of order (the next entry is 18)' });
  });

  it('names the first of two swapped entries', async () => {
    await run(40);
    tamper(file, (db) => {
      const a = db.prepare('select * from audit_log where seq = 21').get() as Row;
      const b = db.prepare('select * from audit_log where seq = 22').get() as Row;
      const put = db.prepare('update audit_log set at = ?, subject = ?, details = ?, prev_hash = ?, hash = ?, mac = ? where seq = ?');
      put.run(b.at, b.subject, b.details, b.prev_hash, b.hash, b.mac, 21);
      put.run(a.at, a.subject, a.details, a.prev_hash, a.hash, a.mac, 22);
    });
    expect((await verify()).firstBad).toEqual({ seq: 21, reason: 'hash mismatch: entry content changed' });
  });

  it('names an entry with one changed byte', async () => {
    await run(40);
    tamper(file, (db) => db.prepare("update audit_log set details = replace(details, 'entry 33', 'entry 34') where seq = 33").run());
    expect((await verify()).firstBad).toEqual({ seq: 33, reason: 'hash mismatch: entry content changed' });
  });

  it('catches the last 15 entries deleted, with their checkpoints, by the signed head file', async () => {
    await run(100);
    tamper(file, (db) => {
      db.prepare('delete from audit_log where seq > 85').run();
      db.prepare('delete from audit_checkpoints where seq > 85').run();
    });
    expect((await chainOnly()).ok).toBe(true);
    expect((await verify()).firstBad).toEqual({
      seq: 86,
      reason: `missing entries 86..100: the log ends at seq 85 but the signed head in ${join(dir, AUDIT_HEAD_FILE_NAME)} says seq 100 existed`,
    });
  });

  it('catches a cut tail by the database checkpoint when the head file is gone too, and names the missing file', async () => {
    await run(100);
    tamper(file, (db) => db.prepare('delete from audit_log where seq > 85').run());
    rmSync(join(dir, AUDIT_HEAD_FILE_NAME));
    expect((await verify()).firstBad?.reason).toBe('missing entries 86..100: the log ends at seq 85 but the signed checkpoint at seq 100 says seq 100 existed');
    tamper(file, (db) => db.prepare('delete from audit_checkpoints where seq > 85').run());
    expect((await verify()).firstBad?.reason).toMatch(/^no signed head at .*audit-head\.json: nothing shows the log was not cut short/);
  });

  it('names an entry edited with every hash after it recomputed: its MAC no longer matches', async () => {
    await run(40);
    tamper(file, (db) => {
      db.prepare("update audit_log set result = 'failed' where seq = 12").run();
      rechain(db, 12);
    });
    expect((await chainOnly()).ok).toBe(true);
    expect((await verify()).firstBad).toEqual({ seq: 12, reason: 'signature mismatch: entry rewritten without the audit key' });
  });

  it('names an edited entry whose MAC was stripped, and a chain rewritten without any MAC by the checkpoints', async () => {
    await run(40);
    tamper(file, (db) => {
      db.prepare("update audit_log set result = 'failed' where seq = 12").run();
      db.prepare('update audit_log set mac = null where seq = 12').run();
      rechain(db, 12);
    });
    expect((await verify()).firstBad).toEqual({ seq: 12, reason: 'unsigned entry after signed ones: written without the audit key' });

    tamper(file, (db) => {
      db.prepare('update audit_log set mac = null').run();
      rechain(db, 1, false);
    });
    expect((await verify()).firstBad).toEqual({ seq: 1, reason: 'unsigned entry, though signing began at seq 0: written without the audit key' });
    // And with the early checkpoints deleted too, the first checkpoint left still shows the rewrite.
    tamper(file, (db) => db.prepare('delete from audit_checkpoints where seq < 20').run());
    expect((await verify()).firstBad).toEqual({ seq: 20, reason: 'entry differs from the signed checkpoint at seq 20' });
  });

  it('names a forged checkpoint', async () => {
    await run(40);
    tamper(file, (db) => db.prepare('insert into audit_checkpoints (seq, hash, at, mac) values (60, ?, ?, ?)').run('f'.repeat(64), T0, `${keys.currentId}:${'0'.repeat(64)}`));
    expect((await verify()).firstBad).toEqual({ seq: 60, reason: 'the signed checkpoint at seq 60 does not verify: forged or altered' });
  });

  it('does not sign over a tail cut while the engine was stopped, so the next start and verify still show it', async () => {
    await run(30);
    tamper(file, (db) => {
      db.prepare('delete from audit_log where seq > 25').run();
      db.prepare('delete from audit_checkpoints where seq > 25').run();
    });
    const s = await open();
    expect(await s.audit.seal()).toEqual({ written: false, checkpoint: null, problem: `the audit log no longer reaches seq 30, which ${join(dir, AUDIT_HEAD_FILE_NAME)} signed` });
    // The engine goes on appending (26..45, past the old head): no checkpoint may vouch for the new tail.
    for (let i = 26; i <= 45; i++) await s.audit.append({ ...input(i), result: 'again' });
    await s.audit.seal();
    expect(JSON.parse(readFileSync(join(dir, AUDIT_HEAD_FILE_NAME), 'utf8'))).toMatchObject({ seq: 30 });
    expect((await s.audit.verify()).firstBad).toEqual({ seq: 30, reason: `entry differs from the signed head in ${join(dir, AUDIT_HEAD_FILE_NAME)}` });
  });

  it('keeps an append whose head file cannot be written: once in the log, signed again at the next seal', async () => {
    const s = await open();
    await s.audit.seal();
    const headPath = join(dir, AUDIT_HEAD_FILE_NAME);
    // A directory where the file goes: the rename over it fails, as on a full or read-only disk.
    rmSync(headPath);
    mkdirSync(join(headPath, 'blocker'), { recursive: true });
    for (let i = 1; i <= 12; i++) await s.audit.append(input(i));
    expect((await s.audit.list()).items.map((e) => e.seq)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    await expect(s.audit.seal()).rejects.toThrow();
    rmSync(headPath, { recursive: true });
    expect(await s.audit.seal()).toMatchObject({ written: true, checkpoint: { seq: 12 } });
    expect(await s.audit.verify()).toMatchObject({ ok: true, checked: 12 });
  });

  it('verifies entries signed with a retired key, and names one signed with an unknown key', async () => {
    await run(15);
    const next = 'n'.repeat(40);
    const rotated = new AuditKeyring([next, KEY]);
    store = await openSqliteStore({ dataDir: dir, audit: { keys: rotated, checkpointEvery: 10, now: () => T0 } });
    await store.audit.seal();
    for (let i = 16; i <= 25; i++) await store.audit.append(input(i));
    await store.audit.seal();
    expect(await verify(rotated)).toMatchObject({ ok: true, checked: 25, checkpoint: { seq: 25 } });
    expect((await verify(new AuditKeyring([next]))).firstBad?.reason).toMatch(/^the signed checkpoint at seq 0 is signed with an unknown audit key \(\w{12}\)$/);
  });

  it('adopts a log written before the store had a key: the chain holds those entries, signatures the rest', async () => {
    const plain = await openSqliteStore({ dataDir: dir });
    for (let i = 1; i <= 5; i++) await plain.audit.append(input(i));
    await plain.close();
    await run(5, 6);
    expect(await verify()).toMatchObject({ ok: true, checked: 10, unsigned: 5, signed: true, checkpoint: { seq: 10 } });
    tamper(file, (db) => db.prepare("update audit_log set result = 'x' where seq = 3").run());
    expect((await verify()).firstBad).toEqual({ seq: 3, reason: 'hash mismatch: entry content changed' });
  });
});

describe('audit key file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is made 0600 on the first start only, and its secret shows in no JSON, inspect or head file', async () => {
    expect(loadAuditKeys(dir, { create: false })).toBeNull();
    const made = loadAuditKeys(dir, { create: true })!;
    const keyFile = join(dir, AUDIT_KEY_FILE_NAME);
    expect(made).toMatchObject({ source: keyFile, created: true });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(keyFile, 'utf8').split('\n').find((l) => l && !l.startsWith('#'))!;
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(loadAuditKeys(dir, { create: true })).toMatchObject({ created: false });
    expect(loadAuditKeys(dir, { create: true })!.keyring.currentId).toBe(made.keyring.currentId);

    const store = await openSqliteStore({ dataDir: dir, audit: { keys: made.keyring, checkpointEvery: 1, now: () => T0 } });
    const entry = await store.audit.append(input(1));
    await store.close();
    for (const text of [JSON.stringify(made), inspect(made, { depth: 5 }), JSON.stringify(entry), readFileSync(join(dir, AUDIT_HEAD_FILE_NAME), 'utf8')]) {
      expect(text).not.toContain(secret);
    }
  });

  it('prefers MEDIC_AUDIT_KEY, and refuses a short key or a key file others can read', () => {
    expect(loadAuditKeys(dir, { env: KEY, create: true })).toMatchObject({ source: 'MEDIC_AUDIT_KEY', created: false });
    expect(existsSync(join(dir, AUDIT_KEY_FILE_NAME))).toBe(false);
    expect(() => loadAuditKeys(dir, { env: 'short', create: true })).toThrow('MEDIC_AUDIT_KEY: an audit key needs at least 32 characters (one has 5)');
    writeFileSync(join(dir, AUDIT_KEY_FILE_NAME), `${KEY}\n`, { mode: 0o644 });
    chmodSync(join(dir, AUDIT_KEY_FILE_NAME), 0o644);
    expect(() => loadAuditKeys(dir, { create: true })).toThrow(`the audit key is readable by others (mode 644); run chmod 600`);
  });

  it('rotates: a new key signs, the old one stays to verify', () => {
    const first = loadAuditKeys(dir, { create: true })!.keyring;
    const r = rotateAuditKeyFile(dir);
    const ring = loadAuditKeys(dir, { create: false })!.keyring;
    expect(r.retired).toBe(1);
    expect(ring.currentId).toBe(r.id);
    expect(ring.ids).toEqual([r.id, first.currentId]);
    expect(statSync(join(dir, AUDIT_KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
    const mac = first.signEntry('a'.repeat(64));
    expect(ring.checkEntry('a'.repeat(64), mac)).toBe('ok');
    expect(ring.checkEntry('b'.repeat(64), mac)).toBe('mismatch');
  });
});
