import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import { displayQuery, displayUrl, mysqlUrl, openSession, parseSqlUrl, sqlName, type SqlLocation, type SqlSession } from '../drivers/sql.js';
import { mysqlAge, mysqlFilterParams, MYSQL_USER_QUERIES } from '../probes/mysql.js';
import { durationParam as duration } from './params.js';
import { endOutcome, planInfo, type RunningQuery } from './postgres.js';
import type { ActionContext, ActionPlugin } from './types.js';

/**
 * mysql.kill_queries (MySQL and MariaDB): ends the queries running longer
 * than `older_than`, oldest first, at most `max`. mode 'query' (default) is
 * KILL QUERY: the statement fails, the connection lives; mode 'connection' is
 * KILL: the client's connection goes too.
 *
 * Never ended: the action's own connection (CONNECTION_ID()), sleeping
 * connections and the server's own threads (replication, event scheduler,
 * binlog dump senders); the selection is the mysql probe's, so the fix ends
 * what the probe counted.
 *
 * `plan` lists and ends nothing. `execute` selects again, and right before
 * each KILL checks that the thread still runs a statement older than
 * `older_than`: MySQL has no conditional KILL, so this re-check is what keeps
 * a connection that has since moved on to a fresh statement safe. Needs the
 * PROCESS privilege to see, and CONNECTION_ADMIN/SUPER to end, other users'
 * queries. Nothing can be undone: users re-run their queries.
 */

export const killQueriesParams = z.strictObject({
  url: mysqlUrl,
  older_than: duration('30s'),
  database: sqlName.optional(),
  user: sqlName.optional(),
  max: z.number().int().min(1).max(1000).default(20),
  mode: z.enum(['query', 'connection']).default('query'),
});
export type KillQueriesParams = z.output<typeof killQueriesParams>;

const STATEMENT_TIMEOUT_MS = 10_000;
/** "Unknown thread id": it ended on its own between the two looks. */
const ER_NO_SUCH_THREAD = 1094;

interface CandidateRow {
  id: number | string;
  user: string | null;
  db: string | null;
  age: number | string;
  query: string | null;
}

export const mysqlKillQueries: ActionPlugin<KillQueriesParams> = {
  type: 'mysql.kill_queries',
  schema: killQueriesParams,
  // KILL of a thread that has finished does nothing harmful.
  idempotent: true,
  mutates: true,
  async plan(ctx) {
    return withSession(ctx, async (s) => {
      const { rows, total } = await candidates(s, ctx);
      return planInfo(verbOf(ctx.params), rows.map(toRunning), total, ctx.params, displayUrl(ctx.params.url));
    });
  },
  async execute(ctx) {
    const p = ctx.params;
    return withSession(ctx, async (s) => {
      const { rows } = await candidates(s, ctx);
      const report = { ended: [] as number[], gone: [] as number[], failed: [] as { pid: number; error: string }[] };
      const recheck = `SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ? AND ${MYSQL_USER_QUERIES} AND ${mysqlAge(s.flavor)} > ?`;
      for (const row of rows) {
        const id = Number(row.id);
        try {
          const still = await s.rows(recheck, [id, ...mysqlFilterParams(p), p.older_than / 1000], ctx.signal);
          if (still.length === 0) {
            report.gone.push(id);
            continue;
          }
          // An integer from the server, checked again: KILL takes no placeholders server-side.
          if (!Number.isSafeInteger(id)) throw new Error(`unexpected thread id ${String(row.id)}`);
          await s.run(p.mode === 'query' ? `KILL QUERY ${id}` : `KILL CONNECTION ${id}`, [], ctx.signal);
          report.ended.push(id);
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          if (errno(err) === ER_NO_SUCH_THREAD) report.gone.push(id);
          else report.failed.push({ pid: id, error: errorMessage(err) });
        }
      }
      if (report.failed.length > 0) ctx.log.warn({ failed: report.failed }, 'could not kill every query');
      const verb = verbOf(p);
      return endOutcome({ verb, done: p.mode === 'query' ? 'killed' : 'killed the connections of' }, report, rows.map(toRunning), p);
    });
  },
};

function verbOf(p: KillQueriesParams): string {
  return p.mode === 'query' ? 'kill' : 'kill the connections of';
}

async function withSession<T>(ctx: ActionContext<KillQueriesParams>, fn: (s: SqlSession) => Promise<T>): Promise<T> {
  const session = await openSession(parseSqlUrl(ctx.params.url) as SqlLocation, {
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    applicationName: `medic action ${ctx.executionId}`,
  }, ctx.signal);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

async function candidates(s: SqlSession, ctx: ActionContext<KillQueriesParams>): Promise<{ rows: CandidateRow[]; total: number }> {
  const p = ctx.params;
  const age = mysqlAge(s.flavor);
  const where = `${MYSQL_USER_QUERIES} AND ${age} > ?`;
  const params = [...mysqlFilterParams(p), p.older_than / 1000];
  // Two statements rather than a window function: MariaDB 10.2+ and MySQL 8 have them, MySQL 5.7 does not.
  const rows = await s.rows<CandidateRow>(
    `SELECT ID AS id, USER AS user, DB AS db, ${age} AS age, LEFT(INFO, 1000) AS query
     FROM information_schema.PROCESSLIST WHERE ${where} ORDER BY ${age} DESC, ID LIMIT ${p.max}`,
    params,
    ctx.signal,
  );
  if (rows.length < p.max) return { rows, total: rows.length };
  const [count] = await s.rows<{ n: number | string }>(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ${where}`, params, ctx.signal);
  return { rows, total: Number(count?.n ?? rows.length) };
}

function toRunning(r: CandidateRow): RunningQuery {
  return { pid: Number(r.id), user: r.user, database: r.db, age_s: Math.round(Number(r.age) * 10) / 10, query: displayQuery(r.query) };
}

function errno(err: unknown): number | undefined {
  const cause = err instanceof Error ? (err.cause as { errno?: unknown } | undefined) : undefined;
  const n = cause?.errno ?? (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}
