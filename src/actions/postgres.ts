import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { ActionError, errorMessage } from '../core/errors.js';
import { displayQuery, displayUrl, openSession, parseSqlUrl, postgresUrl, sqlName, type SqlLocation, type SqlSession } from '../drivers/sql.js';
import { PG_AGE, pgUserQueries } from '../probes/postgres.js';
import { durationParam as duration } from './params.js';
import type { ActionContext, ActionOutcome, ActionPlanInfo, ActionPlugin } from './types.js';

/**
 * postgres.cancel_queries (pg_cancel_backend: the statement fails, the
 * session lives) and postgres.terminate_queries (pg_terminate_backend: the
 * whole connection goes). Both end the queries running longer than
 * `older_than`, oldest first, at most `max` of them.
 *
 * Never ended: the action's own session, anything that is not a client
 * backend (walsenders, replication workers, autovacuum, background workers)
 * and idle sessions; the selection is the postgres probe's (pgUserQueries),
 * so the fix ends what the probe counted.
 *
 * `plan` lists what would be ended and ends nothing. `execute` selects again
 * (a plan may be minutes old) and, for each query, ends it only if the same
 * statement (same pid and query_start) is still running and still older
 * than `older_than`, so a pid whose session has since moved on to a new
 * statement is left alone. Nothing can be undone: users re-run their queries.
 */

export const endQueriesParams = z.strictObject({
  url: postgresUrl,
  older_than: duration('30s'),
  database: sqlName.optional(),
  user: sqlName.optional(),
  max: z.number().int().min(1).max(1000).default(20),
});
export type EndQueriesParams = z.output<typeof endQueriesParams>;

/** One running statement, as planned and reported. */
export interface RunningQuery {
  readonly pid: number;
  readonly user: string | null;
  readonly database: string | null;
  readonly age_s: number;
  /** At most 200 characters, password literals masked. */
  readonly query: string;
}

export interface EndReport {
  /** Ended by this run. */
  readonly ended: readonly number[];
  /** Finished (or started a new, younger statement) before we got to it. */
  readonly gone: readonly number[];
  readonly failed: readonly { readonly pid: number; readonly error: string }[];
}

/** Per statement; generous, as pg_stat_activity is a snapshot of shared memory and always quick. */
const STATEMENT_TIMEOUT_MS = 10_000;

const CANDIDATES_SQL = `
SELECT pid, usename AS user, datname AS database, ${PG_AGE} AS age,
       query_start::text AS started, left(query, 1000) AS query, (count(*) OVER ())::int AS total
FROM pg_stat_activity
WHERE ${pgUserQueries('$2', '$3')} AND ${PG_AGE} > $1::float8
ORDER BY query_start
LIMIT $4`;

interface CandidateRow {
  pid: number;
  user: string | null;
  database: string | null;
  age: number;
  started: string;
  query: string | null;
  total: number;
}

type Mode = 'cancel' | 'terminate';
const VERBS: Record<Mode, { fn: string; verb: string; done: string }> = {
  cancel: { fn: 'pg_cancel_backend', verb: 'cancel', done: 'cancelled' },
  terminate: { fn: 'pg_terminate_backend', verb: 'terminate', done: 'terminated' },
};

function createEndQueriesAction(mode: Mode): ActionPlugin<EndQueriesParams> {
  const { fn, verb, done } = VERBS[mode];
  // Ends one statement only if it is still the one we selected: same pid, same start, still old enough.
  const endOne = `SELECT ${fn}(pid) AS ended FROM pg_stat_activity
    WHERE pid = $1 AND query_start = $2::timestamptz AND ${pgUserQueries('$3', '$4')} AND ${PG_AGE} > $5::float8`;

  return {
    type: `postgres.${verb}_queries`,
    schema: endQueriesParams,
    // Ending a query that has already ended does nothing.
    idempotent: true,
    mutates: true,
    async plan(ctx) {
      return withSession(ctx, async (s) => {
        const rows = await candidates(s, ctx);
        return planInfo(verb, rows.map(toRunning), rows[0]?.total ?? 0, ctx.params, displayUrl(ctx.params.url));
      });
    },
    async execute(ctx) {
      const p = ctx.params;
      return withSession(ctx, async (s) => {
        const rows = await candidates(s, ctx);
        const report = { ended: [] as number[], gone: [] as number[], failed: [] as { pid: number; error: string }[] };
        for (const row of rows) {
          try {
            const [r] = await s.rows<{ ended: boolean }>(endOne, [row.pid, row.started, p.database ?? null, p.user ?? null, p.older_than / 1000], ctx.signal);
            // No row: it finished meanwhile. false: the process went away between the two looks.
            (r?.ended ? report.ended : report.gone).push(row.pid);
          } catch (err) {
            if (ctx.signal.aborted) throw err;
            report.failed.push({ pid: row.pid, error: errorMessage(err) });
          }
        }
        if (report.failed.length > 0) ctx.log.warn({ failed: report.failed }, `could not ${verb} every query`);
        return endOutcome({ verb, done }, report, rows.map(toRunning), p);
      });
    },
  };
}

export const postgresCancelQueries = createEndQueriesAction('cancel');
export const postgresTerminateQueries = createEndQueriesAction('terminate');

async function withSession<T>(ctx: ActionContext<EndQueriesParams>, fn: (s: SqlSession) => Promise<T>): Promise<T> {
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

function candidates(s: SqlSession, ctx: ActionContext<EndQueriesParams>): Promise<CandidateRow[]> {
  const p = ctx.params;
  return s.rows<CandidateRow>(CANDIDATES_SQL, [p.older_than / 1000, p.database ?? null, p.user ?? null, p.max], ctx.signal);
}

function toRunning(r: CandidateRow): RunningQuery {
  return { pid: r.pid, user: r.user, database: r.database, age_s: Math.round(r.age * 10) / 10, query: displayQuery(r.query) };
}

interface Scope {
  readonly older_than: number;
  readonly database?: string | undefined;
  readonly user?: string | undefined;
  readonly max: number;
}

function scopeText(p: Scope): string {
  const where = [p.database ? `database ${p.database}` : '', p.user ? `user ${p.user}` : ''].filter(Boolean).join(', ');
  return `running longer than ${formatDuration(p.older_than)}${where ? ` (${where})` : ''}`;
}

/** The plan of a query-ending action: what it would end, oldest first. Shared with mysql.kill_queries. */
export function planInfo(verb: string, queries: readonly RunningQuery[], total: number, p: Scope, where: string): ActionPlanInfo {
  const capped = total > queries.length ? ` (${total} match; capped at max ${p.max})` : '';
  const summary = queries.length === 0
    ? `no query ${scopeText(p)} on ${where}: nothing to ${verb}`
    : `${verb} ${queries.length} ${queries.length === 1 ? 'query' : 'queries'} ${scopeText(p)} on ${where}${capped}`;
  return { summary, details: { olderThanMs: p.older_than, database: p.database ?? null, user: p.user ?? null, max: p.max, total, queries } };
}

/**
 * The outcome of a query-ending action. When queries were there to end and
 * none could be (no privilege, typically), the step fails: the problem is
 * still there and repeating will not help. Partial success succeeds with the
 * failures listed; the runbook's verify decides whether that was enough.
 */
export function endOutcome(words: { verb: string; done: string }, r: EndReport, selected: readonly RunningQuery[], p: Scope): ActionOutcome {
  const data = { ended: r.ended.length, pids: r.ended, gone: r.gone, failed: r.failed, queries: selected };
  if (r.ended.length === 0 && r.failed.length > 0) {
    const first = r.failed[0]!;
    throw new ActionError('failed', `could not ${words.verb} any of ${r.failed.length} queries ${scopeText(p)}: pid ${first.pid}: ${first.error}`, {
      retryable: false,
      cause: data,
    });
  }
  const parts = [
    r.ended.length === 0 ? `no query ${scopeText(p)}: nothing to ${words.verb}` : `${words.done} ${r.ended.length} ${r.ended.length === 1 ? 'query' : 'queries'} ${scopeText(p)} (pids ${r.ended.join(', ')})`,
    r.gone.length > 0 ? `${r.gone.length} finished first` : '',
    r.failed.length > 0 ? `${r.failed.length} could not be ended` : '',
  ];
  return { summary: parts.filter(Boolean).join('; '), data };
}
