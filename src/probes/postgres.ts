import { z } from 'zod';
import { durationParam as duration } from '../actions/params.js';
import { errorMessage } from '../core/errors.js';
import type { Sample } from '../core/signal.js';
import { displayUrl, openSession, parseSqlUrl, postgresUrl, ProbeSessions, sqlName, type SqlLocation } from '../drivers/sql.js';
import type { ProbeContext, ProbePlugin } from './types.js';

/**
 * postgres probe: queries that run too long, connections used, cache hit
 * ratio and deadlocks, from pg_stat_activity and pg_stat_database.
 *
 * A slow query is an active statement of a client backend older than
 * `min_age`. Never counted: the probe's own connection, idle sessions (an
 * open connection is not a running query), and everything that is not a
 * client backend (walsenders and other replication processes, autovacuum,
 * background workers), because ending those is never the fix.
 *
 * Seeing other roles' queries needs pg_monitor (or pg_read_all_stats); without
 * it, their rows have no state and are silently not counted.
 */

export const postgresProbeParams = z.strictObject({
  url: postgresUrl,
  min_age: duration('30s'),
  database: sqlName.optional(),
  user: sqlName.optional(),
});
export type PostgresProbeParams = z.output<typeof postgresProbeParams>;

export const POSTGRES_SIGNALS = [
  'postgres_up',
  'slow_queries',
  'longest_query_seconds',
  'connections_used_percent',
  'cache_hit_ratio',
  'deadlocks',
] as const;

/** Seconds since the statement started; clock_timestamp(), since now() is the start of our own transaction. */
export const PG_AGE = 'EXTRACT(EPOCH FROM clock_timestamp() - query_start)::float8';

/**
 * The running statements of other client sessions, optionally of one
 * database and one role (placeholders typed text, NULL for "any"). The
 * postgres actions end exactly what this selects, so the probe and the fix
 * always agree on what a slow query is and on what is never touched.
 */
export function pgUserQueries(database: string, user: string): string {
  return `backend_type = 'client backend'
    AND state = 'active'
    AND pid <> pg_backend_pid()
    AND query_start IS NOT NULL
    AND (${database}::text IS NULL OR datname = ${database}::text)
    AND (${user}::text IS NULL OR usename = ${user}::text)`;
}

/**
 * One round trip. Connections count client backends only:
 * since PostgreSQL 12 walsenders and background processes have slots of their
 * own outside max_connections. Database and user narrow the slow-query count;
 * connections are a server-wide limit and are always counted server-wide.
 */
const STATS_SQL = `
WITH active AS (
  SELECT ${PG_AGE} AS age FROM pg_stat_activity WHERE ${pgUserQueries('$2', '$3')}
), db AS (
  SELECT coalesce(sum(blks_hit), 0)::float8 AS hit,
         coalesce(sum(blks_read), 0)::float8 AS read,
         coalesce(sum(deadlocks), 0)::float8 AS deadlocks
  FROM pg_stat_database
  WHERE ($2::text IS NULL OR datname = $2::text)
)
SELECT
  (SELECT count(*) FROM active WHERE age > $1::float8)::int AS slow,
  (SELECT coalesce(max(age), 0) FROM active)::float8 AS longest,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
  current_setting('max_connections')::int AS max_connections,
  db.hit, db.read, db.deadlocks
FROM db`;

interface StatsRow {
  slow: number;
  longest: number;
  used: number;
  max_connections: number;
  hit: number;
  read: number;
  deadlocks: number;
}

/** The plugin, plus close() for whoever runs checks outside the engine (tests, one-off CLI checks). */
export type DatabaseProbe<P> = ProbePlugin<P> & { close(): Promise<void> };

export function createPostgresProbe(): DatabaseProbe<PostgresProbeParams> {
  const sessions = new ProbeSessions();
  return {
    type: 'postgres',
    schema: postgresProbeParams,
    produces: POSTGRES_SIGNALS,
    // Nothing is pushed: watch only ties the probe's connection to the engine's lifetime (see ProbeSessions).
    watch: (ctx) => sessions.watch(ctx, ctx.params.url),
    async check(ctx) {
      const shared = sessions.get(ctx, ctx.params.url, (signal) => open(ctx, signal));
      try {
        const row = await shared.use(ctx.signal, async (s) => {
          const rows = await s.rows<StatsRow>(STATS_SQL, [ctx.params.min_age / 1000, ctx.params.database ?? null, ctx.params.user ?? null], ctx.signal);
          return rows[0];
        });
        if (!row) throw new Error('pg_stat_activity returned no row');
        return postgresSamples(row);
      } catch (err) {
        // A database that does not answer is a finding (postgres_up 0), not a probe failure.
        ctx.log.warn({ probe: ctx.probe.name, url: displayUrl(ctx.params.url), err: errorMessage(err) }, 'postgres check failed');
        return [{ name: 'postgres_up', value: 0 }];
      }
    },
    close: () => sessions.closeAll(),
  };
}

function open(ctx: ProbeContext<PostgresProbeParams>, signal: AbortSignal) {
  return openSession(parseSqlUrl(ctx.params.url) as SqlLocation, {
    statementTimeoutMs: ctx.probe.timeoutMs,
    applicationName: `medic probe ${ctx.probe.name}`,
    connectTimeoutMs: ctx.probe.timeoutMs,
  }, signal);
}

export function postgresSamples(row: StatsRow): Sample[] {
  const reads = row.hit + row.read;
  return [
    { name: 'postgres_up', value: 1 },
    { name: 'slow_queries', value: row.slow },
    { name: 'longest_query_seconds', value: round(row.longest, 3) },
    { name: 'connections_used_percent', value: row.max_connections > 0 ? round((100 * row.used) / row.max_connections, 2) : 0 },
    // No reads yet means nothing was missed.
    { name: 'cache_hit_ratio', value: reads > 0 ? round(row.hit / reads, 4) : 1 },
    { name: 'deadlocks', value: row.deadlocks },
  ];
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const postgresProbe = createPostgresProbe();
