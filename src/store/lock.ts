import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';

/**
 * One engine per SQLite store. Two engines on one data directory would each
 * open an incident for the same alert and run the same fix twice.
 *
 * The lock is SQLite's own file lock on a side database, `<dataDir>/medic.lock`,
 * held in EXCLUSIVE locking mode: after the first write the connection keeps
 * its exclusive lock until it closes. These are POSIX record locks, which the
 * kernel drops when the process dies, so a `kill -9` or a power cut cannot
 * leave the store locked (a pid file would need a liveness check, and pids
 * are reused). The side file, not medic.db itself, so that readers of the
 * store (`medic audit verify`, `medic signals export`) keep working while the
 * engine runs.
 *
 * A held lock cannot be read by others, so the holder also writes who it is
 * to `<dataDir>/medic.lock.info`: the refusal message names the pid and host.
 * That file is only a label; the lock is the kernel's.
 *
 * Not for network file systems whose locks are unreliable (SQLite's own advice).
 */
export const LOCK_FILE_NAME = 'medic.lock';
export const LOCK_INFO_FILE_NAME = 'medic.lock.info';

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** Epoch ms. */
  readonly since: number;
}

export interface StoreLock {
  readonly file: string;
  /** Safe to call twice. */
  release(): void;
}

export class StoreLockedError extends Error {
  constructor(readonly file: string, readonly holder: LockHolder | null) {
    const who = holder
      ? ` by pid ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()}`
      : '';
    super(`the store is locked by another engine: ${file} is held${who}. ` +
      'Stop that engine first, or give this one another --data-dir.');
    this.name = 'StoreLockedError';
  }
}

/** Takes the store lock for `holder` or throws StoreLockedError; never waits. */
export function acquireStoreLock(dataDir: string, holder: LockHolder): StoreLock {
  const file = join(dataDir, LOCK_FILE_NAME);
  const info = join(dataDir, LOCK_INFO_FILE_NAME);
  const db = new SqliteDatabase(file);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    // The write is what takes the exclusive lock (and keeps it, in this mode).
    db.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), info TEXT NOT NULL)');
    db.prepare('INSERT OR REPLACE INTO holder (id, info) VALUES (1, ?)').run(JSON.stringify(holder));
  } catch (err) {
    db.close();
    if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw new StoreLockedError(file, readHolder(info));
    throw err;
  }
  writeFileSync(info, `${JSON.stringify(holder)}\n`);
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      // The label first: once the lock is free, a new holder may write its own.
      rmSync(info, { force: true });
      db.close();
    },
  };
}

function readHolder(file: string): LockHolder | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.since === 'number') {
      return { pid: v.pid, host: v.host, since: v.since };
    }
  } catch {
    // No label (the holder is starting, or an older version): the lock is still held.
  }
  return null;
}
