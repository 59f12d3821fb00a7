import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashEntry } from '../../src/audit/chain.js';
import { AUDIT_KEY_FILE_NAME, loadAuditKeys } from '../../src/audit/key-file.js';
import { openSqliteStore } from '../../src/store/database.js';
import { runCli } from '../support/cli.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

type Row = { seq: number; at: number; actor: string; kind: string; subject: string; details: string; result: string; prev_hash: string };

/**
 * `medic audit verify` as a user runs it, over a store signed the way the
 * engine signs it (the key file made in the data directory on first start).
 * Each case tampers with its own copy of the data directory, with SQL only:
 * the intruder can write the database but does not have the key. The other
 * tamperings (a deleted, a swapped, a changed entry, stripped MACs, forged
 * checkpoints) are named the same way in test/audit/signed-audit.test.ts.
 */
describe('medic audit verify (real CLI)', () => {
  let root: string;
  let pristine: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'medic-verify-'));
    pristine = join(root, 'pristine');
    const keys = loadAuditKeys(pristine, { create: true })!;
    const store = await openSqliteStore({ dataDir: pristine, audit: { keys: keys.keyring, now: () => T0 } });
    await store.audit.seal();
    for (let i = 1; i <= 150; i++) {
      await store.audit.append({ at: T0 + i, actor: 'engine', kind: 'step', subject: `exe-${i % 5}`, details: { i, note: `entry ${i}` }, result: 'ok' });
    }
    await store.audit.seal();
    await store.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  let n = 0;
  async function verifyAfter(edit: (db: SqliteDatabase.Database) => void, remove: string[] = []) {
    const dir = join(root, `case-${++n}`);
    cpSync(pristine, dir, { recursive: true });
    const db = new SqliteDatabase(join(dir, 'medic.db'));
    try {
      edit(db);
    } finally {
      db.close();
    }
    for (const f of remove) rmSync(join(dir, f));
    return runCli(['audit', 'verify', '--data-dir', dir], { timeoutMs: 60_000 });
  }

  it('says intact, signed, with the head and its checkpoint', { timeout: 90_000 }, async () => {
    const r = await verifyAfter(() => undefined);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^audit chain intact: 150 entries verified, signatures valid \(key \w{12}\); head seq 150, signed checkpoint seq 150 at 2026-/);
  });

  it.each([
    ['the last 15 rows deleted', (db: SqliteDatabase.Database) => {
      db.prepare('delete from audit_log where seq > 135').run();
      db.prepare('delete from audit_checkpoints where seq > 135').run();
    }, 'audit chain BROKEN at entry 136: missing entries 136..150: the log ends at seq 135 but the signed head in'],
    ['a row edited with its hash (and every later one) recomputed', (db: SqliteDatabase.Database) => {
      db.prepare("update audit_log set result = 'nothing happened' where seq = 120").run();
      const rows = db.prepare('select * from audit_log where seq >= 120 order by seq').all() as Row[];
      let prev = rows[0]!.prev_hash;
      for (const r of rows) {
        const hash = hashEntry(prev, { seq: r.seq, at: r.at, actor: r.actor, kind: r.kind, subject: r.subject, details: JSON.parse(r.details) as unknown, result: r.result });
        db.prepare('update audit_log set prev_hash = ?, hash = ? where seq = ?').run(prev, hash, r.seq);
        prev = hash;
      }
    }, 'audit chain BROKEN at entry 120: signature mismatch: entry rewritten without the audit key'],
  ])('exits non-zero naming the entry for %s', { timeout: 90_000 }, async (_what, edit, message) => {
    const r = await verifyAfter(edit);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(message);
  });

  it('does not pass a signed log it cannot check: the key file is gone', { timeout: 90_000 }, async () => {
    const r = await verifyAfter(() => undefined, [AUDIT_KEY_FILE_NAME]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('audit signatures NOT CHECKED: the log is signed but there is no audit key');
  });
});
