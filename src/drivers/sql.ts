import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { z } from 'zod';
import { redactString } from '../core/redact.js';
import { ActionError, errorMessage, toActionError } from '../core/errors.js';

/**
 * What the database probes and actions share: where a URL points, one
 * session type over PostgreSQL, MySQL/MariaDB and SQLite, the probes'
 * long-lived connections, and the mapping of driver errors onto ActionError.
 *
 * Every session runs each statement under a server-side statement timeout
 * (with a client-side backstop a little later, because MySQL limits only
 * SELECTs) and honours an AbortSignal per call: on abort the call rejects at
 * once, the server is asked to cancel the running statement from a second
 * connection (closing a socket alone does not stop a query the server is busy
 * with), and the session is closed. A failed statement leaves it usable.
 *
 * URLs carry passwords: they appear in messages only through redactString.
 */

export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

export type SqlLocation =
  | { readonly dialect: 'postgres' | 'mysql'; readonly url: string }
  | { readonly dialect: 'sqlite'; readonly path: string };

/** postgres://, postgresql://, mysql://, mariadb://, sqlite:///abs/path or an absolute file path. */
export function parseSqlUrl(url: string): SqlLocation | undefined {
  if (isAbsolute(url) && !url.includes('\0')) return { dialect: 'sqlite', path: url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  switch (u.protocol) {
    case 'postgres:':
    case 'postgresql:':
      return u.hostname === '' ? undefined : { dialect: 'postgres', url };
    case 'mysql:':
    case 'mariadb:':
      return u.hostname === '' ? undefined : { dialect: 'mysql', url };
    case 'sqlite:':
    case 'file:': {
      // sqlite:///var/lib/app.db — an absolute path with an empty host; relative paths would depend on the engine's cwd.
      if (u.host !== '' || !u.pathname.startsWith('/')) return undefined;
      return { dialect: 'sqlite', path: fileURLToPath(`file://${u.pathname}`) };
    }
    default:
      return undefined;
  }
}

export const postgresUrl = z.string().refine((u) => parseSqlUrl(u)?.dialect === 'postgres', 'must be a postgres:// or postgresql:// URL');
export const mysqlUrl = z.string().refine((u) => parseSqlUrl(u)?.dialect === 'mysql', 'must be a mysql:// (or mariadb://) URL');
export const sqlUrl = z
  .string()
  .refine((u) => parseSqlUrl(u) !== undefined, 'must be a postgres://, mysql:// or sqlite:///absolute/path URL, or an absolute file path');

/** A URL fit for a summary, a log line or an error message. */
export function displayUrl(url: string): string {
  return redactString(url);
}

/** Database, role and filter names: no quoting needed in a summary, but no control characters in a log either. */
export const sqlName = z.string().min(1).max(128).refine((v) => !/\p{Cc}/u.test(v), 'no control characters');

const SQL_SECRET = /\b(PASSWORD|IDENTIFIED\s+BY)(\s*\(?\s*)('(?:[^']|'')*'|"(?:[^"]|"")*")/gi;

/**
 * Query text as planned and recorded: at most `max` characters, with
 * password literals (ALTER ROLE … PASSWORD '…', IDENTIFIED BY '…') masked,
 * since the audit log keeps it for good.
 */
export function displayQuery(text: string | null | undefined, max = 200): string {
  if (!text) return '';
  const masked = redactString(text.replace(SQL_SECRET, "$1$2'***'"));
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}

export interface SqlSession {
  readonly dialect: SqlDialect;
  /** 'mariadb' when a mysql:// URL leads to MariaDB (processlist columns and timeouts differ). */
  readonly flavor: 'postgres' | 'mysql' | 'mariadb' | 'sqlite';
  /** True once closed, by close() or after an error or abort. */
  readonly closed: boolean;
  /** Placeholders: $1, $2 … for PostgreSQL, ? otherwise. */
  rows<R>(sql: string, params: readonly unknown[], signal: AbortSignal): Promise<R[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params: readonly unknown[], signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Server-side limit for every statement. */
  readonly statementTimeoutMs: number;
  /** How long to wait for a row lock before giving up (PostgreSQL lock_timeout, InnoDB lock wait). */
  readonly lockTimeoutMs?: number;
  /** Shown in pg_stat_activity, so a DBA can see who is asking. */
  readonly applicationName: string;
  readonly connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** The client-side backstop fires this long after the server-side timeout should have. */
const BACKSTOP_GRACE_MS = 2_000;

export async function openSession(loc: SqlLocation, opts: SessionOptions, signal: AbortSignal): Promise<SqlSession> {
  if (signal.aborted) throw abortError(signal);
  try {
    if (loc.dialect === 'sqlite') return openSqlite(loc.path, opts);
    return loc.dialect === 'postgres' ? await openPostgres(loc.url, opts, signal) : await openMysql(loc.url, opts, signal);
  } catch (err) {
    throw sqlError(err, signal);
  }
}

async function openPostgres(url: string, opts: SessionOptions, signal: AbortSignal): Promise<SqlSession> {
  const config: pg.ClientConfig = {
    connectionString: url,
    application_name: opts.applicationName.slice(0, 63),
    statement_timeout: opts.statementTimeoutMs,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // UTC, so that `timestamp without time zone` columns read as the UTC most applications store in them.
    options: '-c TimeZone=UTC',
  };
  if (opts.lockTimeoutMs !== undefined) config.lock_timeout = opts.lockTimeoutMs;
  const client = new pg.Client(config);
  let closed = false;
  // An idle connection that dies (server restart) emits 'error'; unhandled, that would crash the engine.
  client.on('error', () => {
    closed = true;
  });
  const end = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    return client.end().catch(() => undefined);
  };
  await guarded(signal, opts, client.connect(), () => void end());
  // Sent by the server at startup (BackendKeyData); pg's typings leave it out.
  const pid = (client as unknown as { processID: number | null }).processID;
  const cancel = (): void => {
    if (pid === null) return;
    void cancelOnServer({ dialect: 'postgres', url }, `SELECT pg_cancel_backend(${Number(pid)})`);
  };
  const query = async (sql: string, params: readonly unknown[], s: AbortSignal) => {
    if (closed) throw new ActionError('unavailable', 'the database connection is closed');
    try {
      return await guarded(s, opts, client.query(sql, params as unknown[]), () => {
        cancel();
        void end();
      });
    } catch (err) {
      // A failed statement leaves the connection usable; a dead connection has already marked itself closed.
      throw sqlError(err, s);
    }
  };
  return {
    dialect: 'postgres',
    flavor: 'postgres',
    get closed() {
      return closed;
    },
    rows: async <R>(sql: string, params: readonly unknown[], s: AbortSignal) => (await query(sql, params, s)).rows as R[],
    run: async (sql, params, s) => (await query(sql, params, s)).rowCount ?? 0,
    close: end,
  };
}

async function openMysql(url: string, opts: SessionOptions, signal: AbortSignal): Promise<SqlSession> {
  const connecting = mysql.createConnection({
    uri: url,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    multipleStatements: false,
    dateStrings: true,
    supportBigNumbers: true,
  });
  // A connection that arrives after we stopped waiting for it must still be closed.
  let abandoned = false;
  connecting.then((c) => (abandoned ? c.destroy() : undefined), () => undefined);
  const conn = await guarded(signal, opts, connecting, () => {
    abandoned = true;
  });
  let closed = false;
  conn.on('error', () => {
    closed = true;
  });
  const end = (): Promise<void> => {
    if (closed) return Promise.resolve();
    closed = true;
    conn.destroy();
    return Promise.resolve();
  };
  const threadId = conn.threadId;
  const cancel = (): void => void cancelOnServer({ dialect: 'mysql', url }, `KILL QUERY ${Number(threadId)}`);
  const query = async (sql: string, params: readonly unknown[], s: AbortSignal): Promise<unknown> => {
    if (closed) throw new ActionError('unavailable', 'the database connection is closed');
    try {
      const [result] = await guarded(s, opts, conn.query(sql, params as unknown[]), () => {
        cancel();
        void end();
      });
      return result;
    } catch (err) {
      // mysql2 marks errors that broke the connection as fatal; anything else leaves it usable.
      if ((err as { fatal?: unknown } | null)?.fatal === true) void end();
      throw sqlError(err, s);
    }
  };
  try {
    const [version] = (await query('SELECT VERSION() AS v', [], signal)) as Array<{ v: string }>;
    const flavor = /mariadb/i.test(version?.v ?? '') ? 'mariadb' : 'mysql';
    // MariaDB limits every statement (seconds); MySQL's max_execution_time covers SELECT only, the backstop the rest.
    if (flavor === 'mariadb') await query('SET SESSION max_statement_time = ?', [opts.statementTimeoutMs / 1000], signal);
    else await query('SET SESSION max_execution_time = ?', [Math.ceil(opts.statementTimeoutMs)], signal);
    // UTC, so that TIMESTAMP columns compare in UTC and DATETIME values read as the UTC they usually hold.
    await query("SET SESSION time_zone = '+00:00'", [], signal);
    if (opts.lockTimeoutMs !== undefined) {
      await query('SET SESSION innodb_lock_wait_timeout = ?', [Math.max(1, Math.ceil(opts.lockTimeoutMs / 1000))], signal);
    }
    return {
      dialect: 'mysql',
      flavor,
      get closed() {
        return closed;
      },
      rows: async <R>(sql: string, params: readonly unknown[], s: AbortSignal) => (await query(sql, params, s)) as R[],
      run: async (sql, params, s) => ((await query(sql, params, s)) as { affectedRows?: number }).affectedRows ?? 0,
      close: end,
    };
  } catch (err) {
    await end();
    throw err;
  }
}

/**
 * SQLite runs in this process and synchronously: a statement cannot be
 * interrupted, so callers keep statements small (batches) and the signal is
 * checked before each one. The file must exist: opening a mistyped path must
 * not create an empty database and report "0 rows deleted".
 */
function openSqlite(path: string, opts: SessionOptions): SqlSession {
  const db = new SqliteDatabase(path, { fileMustExist: true, timeout: opts.lockTimeoutMs ?? 5_000 });
  const check = (s: AbortSignal): void => {
    if (s.aborted) throw abortError(s);
    if (!db.open) throw new ActionError('unavailable', 'the database is closed');
  };
  const wrap = <T>(s: AbortSignal, fn: () => T): T => {
    check(s);
    try {
      return fn();
    } catch (err) {
      throw sqlError(err, s);
    }
  };
  return {
    dialect: 'sqlite',
    flavor: 'sqlite',
    get closed() {
      return !db.open;
    },
    rows: async <R>(sql: string, params: readonly unknown[], s: AbortSignal) => wrap(s, () => db.prepare(sql).all(...params) as R[]),
    run: async (sql, params, s) => wrap(s, () => db.prepare(sql).run(...params).changes),
    close: async () => {
      if (db.open) db.close();
    },
  };
}

/** Asks the server to stop a statement another connection is running; best effort, never throws. */
async function cancelOnServer(loc: SqlLocation, statement: string): Promise<void> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), DEFAULT_CONNECT_TIMEOUT_MS * 2).unref();
  let session: SqlSession | undefined;
  try {
    session = await openSession(loc, { statementTimeoutMs: 5_000, applicationName: 'medic cancel', connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS }, ctrl.signal);
    await session.run(statement, [], ctrl.signal);
  } catch {
    // Nothing more to do: the server-side statement timeout still bounds the statement.
  } finally {
    clearTimeout(timer);
    await session?.close();
  }
}

/**
 * Resolves or rejects with `work`, but rejects at once when `signal` aborts
 * or the backstop passes (the server should have given up by then), after
 * calling `onAbort` to make the driver let go.
 */
function guarded<T>(signal: AbortSignal, opts: SessionOptions, work: Promise<T>, onAbort: () => void): Promise<T> {
  // Whatever `work` does after we stopped waiting must not become an unhandled rejection.
  work.catch(() => undefined);
  const backstop = AbortSignal.timeout(opts.statementTimeoutMs + (opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) + BACKSTOP_GRACE_MS);
  const s = AbortSignal.any([signal, backstop]);
  if (s.aborted) {
    onAbort();
    return Promise.reject(abortError(s));
  }
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => {
      onAbort();
      reject(abortError(s));
    };
    s.addEventListener('abort', stop, { once: true });
    work.then(
      (v) => {
        s.removeEventListener('abort', stop);
        resolve(v);
      },
      (err: unknown) => {
        s.removeEventListener('abort', stop);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export function abortError(signal: AbortSignal): ActionError {
  const reason: unknown = signal.reason;
  if (reason instanceof ActionError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new ActionError('timeout', `timed out: ${reason.message}`, { cause: reason });
  return new ActionError('aborted', 'aborted', { retryable: false, cause: reason });
}

const PG_CODES: Record<string, { code: ActionError['code']; retryable?: boolean }> = {
  '57014': { code: 'timeout' }, // query_canceled: statement_timeout
  '55P03': { code: 'unavailable' }, // lock_not_available: lock_timeout
  '40P01': { code: 'unavailable' }, // deadlock_detected: the next attempt usually passes
  '53300': { code: 'unavailable' }, // too_many_connections
  '57P01': { code: 'unavailable' }, // admin_shutdown
  '57P03': { code: 'unavailable' }, // cannot_connect_now (starting up)
  '42P01': { code: 'not_found', retryable: false }, // undefined_table
  '42703': { code: 'not_found', retryable: false }, // undefined_column
  '3D000': { code: 'not_found', retryable: false }, // invalid_catalog_name (no such database)
};
const MYSQL_CODES: Record<string, { code: ActionError['code']; retryable?: boolean }> = {
  ER_QUERY_TIMEOUT: { code: 'timeout' },
  ER_STATEMENT_TIMEOUT: { code: 'timeout' },
  ER_QUERY_INTERRUPTED: { code: 'timeout' },
  ER_LOCK_WAIT_TIMEOUT: { code: 'unavailable' },
  ER_LOCK_DEADLOCK: { code: 'unavailable' },
  ER_CON_COUNT_ERROR: { code: 'unavailable' },
  ER_NO_SUCH_TABLE: { code: 'not_found', retryable: false },
  ER_BAD_FIELD_ERROR: { code: 'not_found', retryable: false },
  ER_BAD_DB_ERROR: { code: 'not_found', retryable: false },
  PROTOCOL_CONNECTION_LOST: { code: 'unavailable' },
};
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Every catch around a driver call starts here: a driver error becomes an ActionError with a redacted message. */
export function sqlError(err: unknown, signal?: AbortSignal): ActionError {
  if (err instanceof ActionError) return err;
  if (signal?.aborted) return abortError(signal);
  const code = (err as { code?: unknown } | null)?.code;
  const message = redactString(errorMessage(err));
  if (typeof code === 'string') {
    const known = PG_CODES[code] ?? MYSQL_CODES[code];
    if (known) return new ActionError(known.code, message, { cause: err, ...(known.retryable === undefined ? {} : { retryable: known.retryable }) });
    if (NETWORK_CODES.has(code)) return new ActionError('unavailable', `cannot reach the database: ${code}`, { cause: err });
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new ActionError('unavailable', message, { cause: err });
    if (code === 'SQLITE_CANTOPEN') return new ActionError('not_found', message, { cause: err, retryable: false });
  }
  if (/connection terminated|timeout expired/i.test(message)) return new ActionError('unavailable', message, { cause: err });
  const normalised = toActionError(err);
  return normalised.message === message ? normalised : new ActionError(normalised.code, message, { cause: err, retryable: normalised.retryable });
}

/**
 * One connection for a probe: opened on first use, reused by the checks that
 * follow, closed after `idleMs` without use, after any error (the next check
 * opens a fresh one) and by close(). Checks of one probe never overlap, so
 * one connection is all it needs.
 */
export class SharedSession {
  private session: SqlSession | null = null;
  private opening: Promise<SqlSession> | null = null;
  private idle: AbortController | null = null;
  private stopped = false;

  constructor(
    private readonly open: (signal: AbortSignal) => Promise<SqlSession>,
    private readonly idleMs: number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ) {}

  async use<T>(signal: AbortSignal, fn: (s: SqlSession) => Promise<T>): Promise<T> {
    if (this.stopped) throw new ActionError('aborted', 'the probe has been stopped', { retryable: false });
    this.idle?.abort();
    this.idle = null;
    const session = await this.acquire(signal);
    try {
      return await fn(session);
    } catch (err) {
      if (this.session === session) this.session = null;
      await session.close();
      throw err;
    } finally {
      this.armIdleClose();
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.idle?.abort();
    this.idle = null;
    const pending = this.opening;
    const session = this.session;
    this.session = null;
    await session?.close();
    await pending?.then((s) => s.close(), () => undefined);
  }

  private async acquire(signal: AbortSignal): Promise<SqlSession> {
    if (this.session && !this.session.closed) return this.session;
    this.opening ??= this.open(signal).finally(() => {
      this.opening = null;
    });
    const session = await this.opening;
    // close() may have run while we were connecting.
    if (this.stopped) {
      await session.close();
      throw new ActionError('aborted', 'the probe has been stopped', { retryable: false });
    }
    this.session = session;
    return session;
  }

  private armIdleClose(): void {
    if (!this.session || this.stopped) return;
    const ctrl = new AbortController();
    this.idle = ctrl;
    this.sleep(this.idleMs, ctrl.signal).then(
      () => {
        if (this.idle !== ctrl) return;
        this.idle = null;
        const s = this.session;
        this.session = null;
        void s?.close();
      },
      () => undefined,
    );
  }
}

/** What a probe registry needs of a probe's context: structural, so src/net does not depend on src/probes. */
interface ProbeScope {
  readonly probe: { readonly name: string; readonly intervalMs: number };
  readonly clock: { sleep(ms: number, signal?: AbortSignal): Promise<void> };
}

/**
 * The probes' connections, one per probe and URL. ProbePlugin has no stop
 * hook, but the engine calls the teardown that `watch` returns when it stops:
 * the database probes implement `watch` (emitting nothing) for that alone.
 * Idle connections close themselves after the probe's interval + 10 s (at
 * most 2 min), so a long interval reconnects rather than holding a slot.
 */
export class ProbeSessions {
  private readonly sessions = new Map<string, SharedSession>();

  get(ctx: ProbeScope, url: string, open: (signal: AbortSignal) => Promise<SqlSession>): SharedSession {
    const key = `${ctx.probe.name}\0${url}`;
    let shared = this.sessions.get(key);
    if (!shared) {
      const idleMs = Math.min(ctx.probe.intervalMs + 10_000, 120_000);
      shared = new SharedSession(open, idleMs, (ms, signal) => ctx.clock.sleep(ms, signal));
      this.sessions.set(key, shared);
    }
    return shared;
  }

  /** For `watch`: returns the teardown that closes this probe's connection. */
  watch(ctx: ProbeScope, url: string): () => void {
    const key = `${ctx.probe.name}\0${url}`;
    return () => {
      const shared = this.sessions.get(key);
      this.sessions.delete(key);
      void shared?.close();
    };
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
