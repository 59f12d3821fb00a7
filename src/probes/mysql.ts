import { z } from 'zod';
import { durationParam as duration } from '../actions/params.js';
import { errorMessage } from '../core/errors.js';
import type { Sample } from '../core/signal.js';
import { displayUrl, mysqlUrl, openSession, parseSqlUrl, ProbeSessions, sqlName, type SqlLocation, type SqlSession } from '../drivers/sql.js';
import type { DatabaseProbe } from './postgres.js';
import type { ProbeContext } from './types.js';

/**
 * mysql probe (MySQL and MariaDB): queries that run too long, from
 * information_schema.PROCESSLIST; connections used vs max_connections; the
 * InnoDB buffer pool hit ratio; and deadlocks where the server counts them
 * (MariaDB's Innodb_deadlocks; MySQL has no cheap counter, so none is sent).
 *
 * A slow query is a thread whose Command is 'Query', older than `min_age`.
 * Never counted: the probe's own connection, sleeping connections, and the
 * server's own threads ('system user' replication threads, the
 * event_scheduler, 'Binlog Dump' senders, InnoDB daemons), because ending
 * those is never the fix.
 *
 * Other users' threads are visible only with the PROCESS privilege; without
 * it, the probe sees (and counts) its own user's queries only.
 */

export const mysqlProbeParams = z.strictObject({
  url: mysqlUrl,
  min_age: duration('30s'),
  database: sqlName.optional(),
  user: sqlName.optional(),
});
export type MysqlProbeParams = z.output<typeof mysqlProbeParams>;

export const MYSQL_SIGNALS = [
  'mysql_up',
  'slow_queries',
  'longest_query_seconds',
  'connections_used_percent',
  'cache_hit_ratio',
  'deadlocks',
] as const;

/** Seconds a thread has been in its current state; MariaDB has milliseconds, MySQL whole seconds. */
export function mysqlAge(flavor: SqlSession['flavor']): string {
  return flavor === 'mariadb' ? 'TIME_MS / 1000' : 'TIME';
}

/**
 * The running statements of other client connections, optionally of one
 * database and one user: four placeholders (database twice, user twice; NULL
 * for "any"). Command 'Query' already leaves out 'Sleep', 'Binlog Dump',
 * 'Binlog Dump GTID', 'Daemon' and 'Connect' (a replica's I/O thread); the
 * user check leaves out server threads that run statements. mysql.kill_queries
 * ends exactly what this selects.
 */
export const MYSQL_USER_QUERIES = `COMMAND = 'Query'
    AND ID <> CONNECTION_ID()
    AND USER NOT IN ('system user', 'event_scheduler')
    AND (? IS NULL OR DB = ?)
    AND (? IS NULL OR USER = ?)`;

export function mysqlFilterParams(p: { database?: string | undefined; user?: string | undefined }): unknown[] {
  const db = p.database ?? null;
  const user = p.user ?? null;
  return [db, db, user, user];
}

const STATUS_SQL = `SHOW GLOBAL STATUS WHERE Variable_name IN
  ('Threads_connected', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests', 'Innodb_deadlocks')`;

interface MysqlStats {
  readonly slow: number;
  readonly longest: number;
  readonly maxConnections: number;
  readonly status: ReadonlyMap<string, number>;
}

export function createMysqlProbe(): DatabaseProbe<MysqlProbeParams> {
  const sessions = new ProbeSessions();
  return {
    type: 'mysql',
    schema: mysqlProbeParams,
    produces: MYSQL_SIGNALS,
    // Nothing is pushed: watch only ties the probe's connection to the engine's lifetime (see ProbeSessions).
    watch: (ctx) => sessions.watch(ctx, ctx.params.url),
    async check(ctx) {
      const shared = sessions.get(ctx, ctx.params.url, (signal) => open(ctx, signal));
      try {
        return mysqlSamples(await shared.use(ctx.signal, (s) => readStats(s, ctx)));
      } catch (err) {
        // A database that does not answer is a finding (mysql_up 0), not a probe failure.
        ctx.log.warn({ probe: ctx.probe.name, url: displayUrl(ctx.params.url), err: errorMessage(err) }, 'mysql check failed');
        return [{ name: 'mysql_up', value: 0 }];
      }
    },
    close: () => sessions.closeAll(),
  };
}

function open(ctx: ProbeContext<MysqlProbeParams>, signal: AbortSignal): Promise<SqlSession> {
  return openSession(parseSqlUrl(ctx.params.url) as SqlLocation, {
    statementTimeoutMs: ctx.probe.timeoutMs,
    applicationName: `medic probe ${ctx.probe.name}`,
    connectTimeoutMs: ctx.probe.timeoutMs,
  }, signal);
}

async function readStats(s: SqlSession, ctx: ProbeContext<MysqlProbeParams>): Promise<MysqlStats> {
  const p = ctx.params;
  const [row] = await s.rows<{ slow: unknown; longest: unknown; max_connections: unknown }>(
    `SELECT COALESCE(SUM(age > ?), 0) AS slow, COALESCE(MAX(age), 0) AS longest, @@max_connections AS max_connections
     FROM (SELECT ${mysqlAge(s.flavor)} AS age FROM information_schema.PROCESSLIST WHERE ${MYSQL_USER_QUERIES}) q`,
    [p.min_age / 1000, ...mysqlFilterParams(p)],
    ctx.signal,
  );
  const status = await s.rows<{ Variable_name: string; Value: string }>(STATUS_SQL, [], ctx.signal);
  return {
    slow: Number(row?.slow ?? 0),
    longest: Number(row?.longest ?? 0),
    maxConnections: Number(row?.max_connections ?? 0),
    status: new Map(status.map((r) => [r.Variable_name.toLowerCase(), Number(r.Value)])),
  };
}

export function mysqlSamples(stats: MysqlStats): Sample[] {
  const connected = stats.status.get('threads_connected') ?? 0;
  const requests = stats.status.get('innodb_buffer_pool_read_requests');
  const misses = stats.status.get('innodb_buffer_pool_reads');
  const deadlocks = stats.status.get('innodb_deadlocks');
  const samples: Sample[] = [
    { name: 'mysql_up', value: 1 },
    { name: 'slow_queries', value: stats.slow },
    { name: 'longest_query_seconds', value: Math.round(stats.longest * 1000) / 1000 },
    { name: 'connections_used_percent', value: stats.maxConnections > 0 ? Math.round((10_000 * connected) / stats.maxConnections) / 100 : 0 },
  ];
  // Read requests that had to go to disk are the misses; no requests yet means nothing was missed.
  if (requests !== undefined && misses !== undefined) {
    samples.push({ name: 'cache_hit_ratio', value: requests > 0 ? Math.round(10_000 * (1 - misses / requests)) / 10_000 : 1 });
  }
  if (deadlocks !== undefined) samples.push({ name: 'deadlocks', value: deadlocks });
  return samples;
}

export const mysqlProbe = createMysqlProbe();
