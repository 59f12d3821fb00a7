import type { SqlSession } from './sql.js';

/**
 * What a database probe counts and the matching action ends, written once: the probes and the
 * actions select running queries through these fragments, so the probe and the fix always agree on
 * what a slow query is and on what is never touched.
 */

/** Seconds since the statement started; clock_timestamp(), since now() is the start of our own transaction. */
export const PG_AGE = 'EXTRACT(EPOCH FROM clock_timestamp() - query_start)::float8';

/**
 * The running statements of other client sessions, optionally of one
 * database and one role (placeholders typed text, NULL for "any"). The
 * postgres actions end exactly what this selects.
 */
export function pgUserQueries(database: string, user: string): string {
  return `backend_type = 'client backend'
    AND state = 'active'
    AND pid <> pg_backend_pid()
    AND query_start IS NOT NULL
    AND (${database}::text IS NULL OR datname = ${database}::text)
    AND (${user}::text IS NULL OR usename = ${user}::text)`;
}

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
