import { z } from 'zod';
import { formatDuration, parseDuration } from '../core/duration.js';
import { ActionError } from '../core/errors.js';
import { displayUrl, openSession, parseSqlUrl, sqlError, sqlUrl, type SqlDialect, type SqlLocation, type SqlSession } from '../drivers/sql.js';
import { durationParam as duration } from './params.js';
import type { ActionContext, ActionPlugin } from './types.js';

/**
 * sql.delete_older_than: retention cleanup (expired web sessions, old audit
 * rows of an application) on PostgreSQL, MySQL/MariaDB or SQLite.
 *
 * Rows go in batches of `batch_size`, each its own short transaction, so no
 * lock is held for long and replicas keep up:
 *   PostgreSQL  DELETE … WHERE ctid IN (SELECT ctid … WHERE old LIMIT n) AND old
 *   MySQL       DELETE … WHERE old ORDER BY column LIMIT n
 *   SQLite      DELETE … WHERE rowid IN (SELECT rowid … WHERE old LIMIT n)
 * The PostgreSQL form repeats the condition outside: a ctid is unique only
 * within one partition, and a row updated meanwhile is judged again.
 *
 * The cutoff is fixed once per run (the engine clock minus `older_than`), so a
 * run ends even while new rows keep ageing past it. It stops after a batch
 * that found fewer than `batch_size` rows, or after `max_batches` (the result
 * then says the table is not yet clean; the next run goes on).
 *
 * Column types: PostgreSQL timestamptz, timestamp, date; MySQL DATETIME,
 * TIMESTAMP, DATE; or, on either, an integer/numeric unix epoch (`epoch_unit`
 * s or ms). Naive timestamps (timestamp, DATETIME) are read as UTC. SQLite
 * has no column types: each value is judged by what it holds, ISO-8601 text
 * (as from datetime('now') or toISOString()) or a unix epoch number; NULL and
 * anything else is never deleted.
 *
 * Table and column names are checked against a strict pattern and quoted;
 * nothing from the params is ever spliced into SQL unquoted. No rollback:
 * deleted rows are gone (sessions are recreated by logging in again).
 */

const NAME_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Table and column names as the issue allows them: letters, digits, _ and dots between parts. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;

const identifier = (maxParts: number, what: string) =>
  z
    .string()
    .regex(IDENTIFIER, 'letters, digits and _, parts separated by dots')
    .refine((s) => s.split('.').length <= maxParts && s.split('.').every((p) => NAME_PART.test(p)), `must be ${what}`);

/** A positive duration without a default: deleting "everything older than now" is a mistake, not a retention policy. */
const requiredDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined || ms <= 0) {
    ctx.issues.push({ code: 'custom', message: `not a positive duration: ${String(v)}`, input: v });
    return z.NEVER;
  }
  return ms;
});

export const deleteOlderThanParams = z.strictObject({
  url: sqlUrl,
  table: identifier(2, 'a table name, optionally schema.table'),
  column: identifier(1, 'one column name, without a table prefix'),
  older_than: requiredDuration,
  batch_size: z.number().int().min(1).max(100_000).default(1000),
  max_batches: z.number().int().min(1).max(1_000_000).default(1000),
  pause: duration('0'),
  /** Only for numeric columns: seconds (default) or milliseconds since the epoch. */
  epoch_unit: z.enum(['s', 'ms']).default('s'),
});
export type DeleteOlderThanParams = z.output<typeof deleteOlderThanParams>;

/** Quotes a validated name part by part: "public"."sessions", `app`.`sessions`. Quoting keeps keywords and case as written. */
export function quoteIdentifier(name: string, dialect: SqlDialect): string {
  const parts = name.split('.');
  if (!IDENTIFIER.test(name) || !parts.every((p) => NAME_PART.test(p))) {
    throw new ActionError('invalid_params', `not a valid identifier: ${JSON.stringify(name)}`, { retryable: false });
  }
  return parts.map((p) => (dialect === 'mysql' ? `\`${p}\`` : `"${p}"`)).join('.');
}

const DAY_MS = 86_400_000;
/** Retention periods read in days ("30d"), shorter ones as usual. */
function formatAge(ms: number): string {
  if (ms < DAY_MS) return formatDuration(ms);
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${(ms / DAY_MS).toFixed(1)}d`;
}

/** Per batch; a batch of the default 1000 rows takes milliseconds, so this only stops a pathological one. */
const STATEMENT_TIMEOUT_MS = 60_000;
/** A batch waits this long for a row lock, then fails (retryable) rather than queue behind a long transaction. */
const LOCK_TIMEOUT_MS = 5_000;

type ColumnKind = 'timestamptz' | 'timestamp' | 'epoch' | 'any';

/** The statements of one run, for one dialect, table, column and cutoff. */
interface RetentionSql {
  /** Counts old rows, stopping at `cap`. */
  readonly count: (cap: number) => { sql: string; params: unknown[] };
  readonly batch: (size: number) => { sql: string; params: unknown[] };
}

export const sqlDeleteOlderThan: ActionPlugin<DeleteOlderThanParams> = {
  type: 'sql.delete_older_than',
  schema: deleteOlderThanParams,
  // Deleting what is already gone deletes nothing: a step left in doubt can run again.
  idempotent: true,
  mutates: true,
  async plan(ctx) {
    const p = ctx.params;
    const cutoff = ctx.clock.now() - p.older_than;
    const limit = p.batch_size * p.max_batches;
    return withRetention(ctx, cutoff, async (s, q) => {
      let rows: number | null;
      try {
        rows = await countRows(s, q.count(limit + 1), ctx.signal);
      } catch (err) {
        // A plan is for a person to read: an uncountable table is worth saying, not worth failing the plan.
        if (!(err instanceof ActionError && err.code === 'timeout') || ctx.signal.aborted) throw err;
        rows = null;
      }
      const what = `rows of ${p.table} with ${p.column} older than ${formatAge(p.older_than)} (before ${new Date(cutoff).toISOString()})`;
      const how = `in batches of ${p.batch_size}${p.pause > 0 ? ` with ${formatDuration(p.pause)} pauses` : ''}`;
      const summary = rows === null
        ? `delete ${what} ${how} (count timed out)`
        : rows > limit
          ? `delete ${limit} of more than ${limit} ${what} ${how} (max_batches ${p.max_batches}; the next run goes on)`
          : `delete ${rows} ${what} ${how}`;
      return {
        summary: `${summary} on ${where(ctx)}`,
        details: { rows, cutoff: new Date(cutoff).toISOString(), batchSize: p.batch_size, maxBatches: p.max_batches, batches: rows === null ? null : Math.min(p.max_batches, Math.ceil(rows / p.batch_size)) },
      };
    });
  },
  async execute(ctx) {
    const p = ctx.params;
    const cutoff = ctx.clock.now() - p.older_than;
    return withRetention(ctx, cutoff, async (s, q) => {
      let deleted = 0;
      let batches = 0;
      let complete = false;
      try {
        while (batches < p.max_batches) {
          const { sql, params } = q.batch(p.batch_size);
          const n = await s.run(sql, params, ctx.signal);
          if (n > 0) {
            batches += 1;
            deleted += n;
          }
          if (n < p.batch_size) {
            complete = true;
            break;
          }
          if (p.pause > 0 && batches < p.max_batches) await ctx.clock.sleep(p.pause, ctx.signal);
        }
      } catch (err) {
        const e = sqlError(err, ctx.signal);
        // Say how far it got: those rows are gone whatever happens next.
        throw new ActionError(e.code, `${e.message} (after deleting ${deleted} rows in ${batches} batches)`, {
          retryable: e.retryable,
          cause: { deleted, batches, error: e },
        });
      }
      const data = { deleted, batches, complete, cutoff: new Date(cutoff).toISOString() };
      const rest = complete ? '' : `; stopped at max_batches ${p.max_batches}, older rows remain`;
      return { summary: `deleted ${deleted} rows of ${p.table} older than ${formatAge(p.older_than)} in ${batches} batches${rest}`, data };
    });
  },
};

function where(ctx: ActionContext<DeleteOlderThanParams>): string {
  const loc = parseSqlUrl(ctx.params.url) as SqlLocation;
  return loc.dialect === 'sqlite' ? `sqlite:${loc.path}` : displayUrl(loc.url);
}

async function withRetention<T>(
  ctx: ActionContext<DeleteOlderThanParams>,
  cutoffMs: number,
  fn: (s: SqlSession, q: RetentionSql) => Promise<T>,
): Promise<T> {
  const session = await openSession(parseSqlUrl(ctx.params.url) as SqlLocation, {
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: LOCK_TIMEOUT_MS,
    applicationName: `medic action ${ctx.executionId}`,
  }, ctx.signal);
  try {
    const kind = await columnKind(session, ctx.params, ctx.signal);
    return await fn(session, retentionSql(session.dialect, kind, ctx.params, cutoffMs));
  } finally {
    await session.close();
  }
}

async function countRows(s: SqlSession, q: { sql: string; params: unknown[] }, signal: AbortSignal): Promise<number> {
  const [row] = await s.rows<{ n: number | string }>(q.sql, q.params, signal);
  return Number(row?.n ?? 0);
}

const PG_KINDS: Record<string, ColumnKind> = {
  'timestamp with time zone': 'timestamptz',
  'timestamp without time zone': 'timestamp',
  date: 'timestamp',
  integer: 'epoch',
  bigint: 'epoch',
  numeric: 'epoch',
  real: 'epoch',
  'double precision': 'epoch',
};
const MYSQL_KINDS: Record<string, ColumnKind> = {
  datetime: 'timestamp',
  timestamp: 'timestamp',
  date: 'timestamp',
  int: 'epoch',
  bigint: 'epoch',
  mediumint: 'epoch',
  decimal: 'epoch',
  double: 'epoch',
  float: 'epoch',
};

/** What the column holds decides how the cutoff is written; anything else is refused before a row is touched. */
async function columnKind(s: SqlSession, p: DeleteOlderThanParams, signal: AbortSignal): Promise<ColumnKind> {
  const parts = p.table.split('.');
  let type: string | undefined;
  if (s.dialect === 'postgres') {
    // Domains count as their base type.
    const [row] = await s.rows<{ type: string | null }>(
      `SELECT format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, NULL) AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
      [quoteIdentifier(p.table, 'postgres'), p.column],
      signal,
    );
    type = row?.type ?? undefined;
  } else if (s.dialect === 'mysql') {
    const [schema, table] = parts.length === 2 ? parts : [null, parts[0]];
    const [row] = await s.rows<{ type: string }>(
      `SELECT LOWER(DATA_TYPE) AS type FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME = ?`,
      [schema, table, p.column],
      signal,
    );
    type = row?.type;
  } else {
    const [schema, table] = parts.length === 2 ? parts : ['main', parts[0]];
    const rows = await s.rows<{ name: string }>('SELECT name FROM pragma_table_info(?, ?) WHERE name = ?', [table, schema, p.column], signal);
    if (rows.length > 0) return 'any';
  }
  if (type === undefined) {
    throw new ActionError('not_found', `table ${p.table} or its column ${p.column} does not exist`, { retryable: false });
  }
  const kinds = s.dialect === 'postgres' ? PG_KINDS : MYSQL_KINDS;
  const kind = kinds[type.replace(/\(.*$/, '')];
  if (!kind) {
    throw new ActionError('invalid_params', `column ${p.table}.${p.column} is ${type}: it must hold a timestamp, a date or a unix epoch number`, { retryable: false });
  }
  return kind;
}

/** Builds the statements; the cutoff always travels as a bound parameter. */
export function retentionSql(dialect: SqlDialect, kind: ColumnKind, p: DeleteOlderThanParams, cutoffMs: number): RetentionSql {
  const t = quoteIdentifier(p.table, dialect);
  const c = quoteIdentifier(p.column, dialect);
  const iso = new Date(cutoffMs).toISOString();
  // Floor: a fractional cutoff on an integer column must not round up and take a row that is a little too young.
  const epoch = p.epoch_unit === 's' ? Math.floor(cutoffMs / 1000) : Math.floor(cutoffMs);

  if (dialect === 'postgres') {
    const old =
      kind === 'timestamptz' ? `${c} < $1::timestamptz`
        : kind === 'timestamp' ? `${c} < ($1::timestamptz AT TIME ZONE 'UTC')`
          : `${c} < $1`;
    const cutoff = kind === 'epoch' ? String(epoch) : iso;
    return {
      count: (cap) => ({ sql: `SELECT count(*) AS n FROM (SELECT 1 FROM ${t} WHERE ${old} LIMIT $2) s`, params: [cutoff, cap] }),
      batch: (size) => ({ sql: `DELETE FROM ${t} WHERE ctid IN (SELECT ctid FROM ${t} WHERE ${old} LIMIT $2) AND ${old}`, params: [cutoff, size] }),
    };
  }
  if (dialect === 'mysql') {
    const old = `${c} < ?`;
    // The session runs in UTC: a TIMESTAMP compares as UTC, a DATETIME is read as the UTC it is assumed to hold.
    const cutoff = kind === 'epoch' ? epoch : iso.replace('T', ' ').replace('Z', '');
    return {
      count: (cap) => ({ sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${t} WHERE ${old} LIMIT ${Math.floor(cap)}) s`, params: [cutoff] }),
      batch: (size) => ({ sql: `DELETE FROM ${t} WHERE ${old} ORDER BY ${c} LIMIT ${Math.floor(size)}`, params: [cutoff] }),
    };
  }
  // SQLite: judged per value. julianday() reads both ISO forms ('T' or ' ', with or without 'Z');
  // a number is a unix epoch. Text that is no date gives NULL and is kept.
  const old = `(CASE typeof(${c}) WHEN 'integer' THEN ${c} < ? WHEN 'real' THEN ${c} < ? WHEN 'text' THEN julianday(${c}) < julianday(?) ELSE 0 END)`;
  const params = [epoch, epoch, iso];
  return {
    count: (cap) => ({ sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${t} WHERE ${old} LIMIT ?)`, params: [...params, cap] }),
    batch: (size) => ({ sql: `DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${old} LIMIT ?)`, params: [...params, size] }),
  };
}
