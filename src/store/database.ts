import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteAdapter, SqliteDialect, type DialectAdapter, type MigrationResultSet } from 'kysely';
import { createAlertStore } from './alerts.js';
import { headFile } from '../audit/key-file.js';
import type { AuditKeyring } from '../audit/signing.js';
import { createAuditStore, DEFAULT_CHECKPOINT_EVERY, type AuditSigning } from './audit.js';
import { createBreakerStore } from './breakers.js';
import { SQLITE, type StoreDialect } from './dialect.js';
import { createExecutionStore } from './executions.js';
import { createIncidentStore } from './incidents.js';
import type { StoreLock } from './lock.js';
import { migrations } from './migrations/index.js';
import type { DB } from './schema.js';
import { createSettingsStore } from './settings.js';
import { createSignalStore } from './signals.js';
import { createTokenStore } from './tokens.js';
import { createRuntimeRuleStore, createSilenceStore } from './silences.js';
import type { Store } from './types.js';

export type SqliteStoreOptions = {
  readonly dataDir: string;
  /** The one-engine lock (./lock.ts), taken by `serve` and `demo` (readers take none); released by close(). */
  readonly lock?: StoreLock;
  /** Sign the audit log (src/audit/signing.ts); the head file goes to the data directory. */
  readonly audit?: { readonly keys: AuditKeyring; readonly checkpointEvery?: number; readonly now: () => number };
} | { readonly file: ':memory:' };

export type KyselyStore = Store & { readonly db: Kysely<DB> };

/** The database file inside a data directory. */
export const SQLITE_FILE_NAME = 'medic.db';

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the SQLite store and brings its schema up to
 * date. The file is `<dataDir>/medic.db`.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<KyselyStore> {
  let filename: string;
  const lock = 'lock' in opts ? opts.lock : undefined;
  let signing: AuditSigning | undefined;
  if ('dataDir' in opts) {
    await mkdir(opts.dataDir, { recursive: true });
    filename = join(opts.dataDir, SQLITE_FILE_NAME);
    if (opts.audit) {
      const { keys, now, checkpointEvery = DEFAULT_CHECKPOINT_EVERY } = opts.audit;
      signing = { keys, now, checkpointEvery, witness: headFile(opts.dataDir) };
    }
  } else {
    filename = opts.file;
  }
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = new SqliteDatabase(filename);
  } catch (err) {
    lock?.release();
    throw err;
  }
  try {
    // WAL: readers (the API, `medic audit verify`) never block the engine's
    // writes. NORMAL sync is durable in WAL mode except for the last commits
    // on power loss, which is the usual trade for a write-heavy signal table.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Off by default in SQLite, and per connection: timelines and steps rely
    // on cascades from their incident or execution.
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    lock?.release();
    throw err;
  }
  const db = new Kysely<DB>({ dialect: new TransactionalDdlSqliteDialect({ database: sqlite }) });
  try {
    await migrateToLatest(db, SQLITE);
  } catch (err) {
    await db.destroy();
    lock?.release();
    throw err;
  }
  return createKyselyStore(db, SQLITE, { ...(lock ? { lock } : {}), ...(signing ? { signing } : {}) });
}

/**
 * Wires the table modules over one Kysely instance. Backend-neutral: a
 * PostgreSQL opener will call this with its own Kysely and POSTGRES profile.
 */
export function createKyselyStore(
  db: Kysely<DB>, dialect: StoreDialect, extras: { lock?: StoreLock; signing?: AuditSigning } = {},
): KyselyStore {
  let closing: Promise<void> | undefined;
  return {
    db,
    incidents: createIncidentStore(db),
    executions: createExecutionStore(db),
    signals: createSignalStore(db, dialect),
    settings: createSettingsStore(db),
    breakers: createBreakerStore(db),
    audit: createAuditStore(db, dialect, extras.signing),
    alerts: createAlertStore(db, dialect),
    tokens: createTokenStore(db),
    silences: createSilenceStore(db),
    runtimeRules: createRuntimeRuleStore(db),
    // Safe to call twice: shutdown paths often overlap.
    // The lock goes last, once nothing of ours writes the database any more.
    close: () => (closing ??= db.destroy().finally(() => extras.lock?.release())),
  };
}

/** Runs every pending migration; throws (with the failing one named) if any fails. */
export async function migrateToLatest(db: Kysely<DB>, dialect: StoreDialect): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations(dialect)) },
  });
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed`, { cause: result.error });
  }
  return result;
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does not
 * (to stay safe for every driver), so its Migrator would apply a migration
 * statement by statement. Saying yes makes each run all-or-nothing: a crash
 * halfway through a migration leaves the previous schema, not half of one.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
