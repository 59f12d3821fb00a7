import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endQueriesParams, postgresCancelQueries, postgresTerminateQueries, type EndQueriesParams, type RunningQuery } from '../../src/actions/postgres.js';
import type { ActionContext, ActionPlugin, NotifierPort } from '../../src/actions/types.js';
import type { ProbeConfig } from '../../src/config/types.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { createPostgresProbe, postgresProbeParams } from '../../src/probes/postgres.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { displayQuery } from '../../src/drivers/sql.js';
import { serviceOrSkip } from '../support/services.js';
import { eventually } from '../supervisor/helpers.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
const available = await serviceOrSkip('postgres');

/**
 * The sessions these tests end live in a database of this run's own, and
 * every action is limited to it: a suite running next to this one on the
 * same server never loses a query to these tests.
 */
const DB = `medic_action_${randomBytes(4).toString('hex')}`;
const DB_URL = `postgres://postgres@127.0.0.1:5432/${DB}`;

function ctx(params: Record<string, unknown>, signal?: AbortSignal): ActionContext<EndQueriesParams> {
  return {
    params: endQueriesParams.parse(params),
    targetName: 'db',
    target: undefined,
    incident: null,
    executionId: 'ex-pg',
    clock: systemClock,
    signal: signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

interface Sleeper {
  readonly client: pg.Client;
  readonly pid: number;
  /** Settles with the error (or result) when the sleep ends. */
  readonly done: Promise<unknown>;
}

describe.skipIf(!available)('postgres.cancel_queries / postgres.terminate_queries', () => {
  let admin: pg.Client;
  const clients: pg.Client[] = [];
  const probe = createPostgresProbe();

  async function sleeper(seconds: number): Promise<Sleeper> {
    const client = new pg.Client({ connectionString: DB_URL });
    client.on('error', () => {});
    await client.connect();
    clients.push(client);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const done = client.query(`SELECT pg_sleep(${seconds})`).then(() => 'finished', (err: unknown) => err);
    const pid = rows[0]!.pid;
    await ageOf(pid, 0);
    return { client, pid, done };
  }

  /** Resolves once the session's statement has run at least `seconds` (polling, with a deadline). */
  function ageOf(pid: number, seconds: number): Promise<number> {
    return eventually(async () => {
      const { rows } = await admin.query<{ age: number }>(
        "SELECT EXTRACT(EPOCH FROM clock_timestamp() - query_start)::float8 AS age FROM pg_stat_activity WHERE pid = $1 AND state = 'active'",
        [pid],
      );
      const age = rows[0]?.age;
      return age !== undefined && age >= seconds ? age : undefined;
    }, `pid ${pid} to run ${seconds}s`, 15_000, 50);
  }

  async function active(pid: number): Promise<boolean> {
    const { rows } = await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid]);
    return rows.length === 1;
  }

  async function slowQueries(minAge: string): Promise<number> {
    const config: ProbeConfig = { name: 'pg-action-test', type: 'postgres', target: 'db', intervalMs: 1000, timeoutMs: 5000, params: {} };
    const samples = await probe.check!({
      probe: config,
      params: postgresProbeParams.parse({ url: DB_URL, min_age: minAge, database: DB }),
      target: { name: 'db', labels: {}, process: null },
      clock: systemClock,
      signal: new AbortController().signal,
      log: silentLogger,
      supervisor: {} as SupervisorPort,
    });
    return samples.find((s) => s.name === 'slow_queries')?.value ?? -1;
  }

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DB}`);
  });

  afterAll(async () => {
    await probe.close();
    if (!admin) return;
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [DB]);
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
  });

  it('cancels the query older than older_than, and leaves a younger one and its own session alone', async () => {
    const old = await sleeper(120);
    // The probe sees it first (min_age 1s), polled until it qualifies.
    await eventually(async () => ((await slowQueries('1s')) >= 1 ? true : undefined), 'the probe to see pg_sleep(120)', 15_000, 100);
    await ageOf(old.pid, 5);
    const young = await sleeper(30);
    const params = { url: DB_URL, older_than: '3s', database: DB };

    const plan = await postgresCancelQueries.plan(ctx(params));
    const planned = plan.details!['queries'] as RunningQuery[];
    expect(planned.map((q) => q.pid)).toEqual([old.pid]);
    expect(planned[0]).toMatchObject({ user: 'postgres', database: DB, query: 'SELECT pg_sleep(120)' });
    expect(planned[0]!.age_s).toBeGreaterThanOrEqual(5);
    expect(plan.summary).toContain('cancel 1 query running longer than 3s');
    // Planning ends nothing.
    expect(await active(old.pid)).toBe(true);

    const result = await postgresCancelQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 1, pids: [old.pid], failed: [] });
    expect(result.summary).toContain(`cancelled 1 query running longer than 3s (database ${DB}) (pids ${old.pid})`);
    expect(await old.done).toMatchObject({ code: '57014' });
    // Cancel ends the statement, not the session.
    await expect(old.client.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    expect(await active(young.pid)).toBe(true);
    expect(await slowQueries('3s')).toBe(0);

    await admin.query('SELECT pg_cancel_backend($1)', [young.pid]);
    await young.done;
  }, 30_000);

  it('re-selects at run time: a query that ended after the plan is not touched', async () => {
    const s = await sleeper(120);
    await ageOf(s.pid, 1.5);
    const params = { url: DB_URL, older_than: '1s', database: DB };
    expect((await postgresCancelQueries.plan(ctx(params))).details!['total']).toBe(1);
    await admin.query('SELECT pg_cancel_backend($1)', [s.pid]);
    await s.done;
    const result = await postgresCancelQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 0, pids: [] });
    expect(result.summary).toMatch(/nothing to cancel/);
  }, 20_000);

  it('terminates whole sessions, oldest first, at most max of them', async () => {
    const first = await sleeper(120);
    const second = await sleeper(120);
    await ageOf(second.pid, 1.5);
    const result = await postgresTerminateQueries.execute(ctx({ url: DB_URL, older_than: '1s', database: DB, max: 1 }));
    expect(result.data).toMatchObject({ ended: 1, pids: [first.pid] });
    expect(await first.done).toBeInstanceOf(Error);
    await eventually(async () => ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [first.pid])).rows.length === 0 ? true : undefined), 'the session to go', 5_000, 50);
    expect(await active(second.pid)).toBe(true);

    const plan = await postgresTerminateQueries.plan(ctx({ url: DB_URL, older_than: '1s', database: DB, max: 1 }));
    expect(plan.summary).toContain('terminate 1 query');
    await postgresTerminateQueries.execute(ctx({ url: DB_URL, older_than: '1s', database: DB }));
    await second.done;
  }, 25_000);

  it('never ends its own session, even with older_than 0', async () => {
    // Its own statement is the only one in this database; it would be selected were it not left out.
    const params = { url: DB_URL, older_than: 0, database: DB };
    expect((await postgresCancelQueries.plan(ctx(params))).details!['queries']).toEqual([]);
    const result = await postgresTerminateQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 0, failed: [] });
  }, 15_000);

  it('says which queries it could not end, and fails when it could end none', async () => {
    const s = await sleeper(120);
    await ageOf(s.pid, 1.2);
    const role = `medic_weak_${randomBytes(3).toString('hex')}`;
    // Sees every session (pg_read_all_stats) but may not signal other roles' backends.
    await admin.query(`CREATE ROLE ${role} LOGIN IN ROLE pg_read_all_stats`);
    try {
      const weakUrl = `postgres://${role}:hunter2@127.0.0.1:5432/${DB}`;
      const err = await postgresCancelQueries.execute(ctx({ url: weakUrl, older_than: '1s', database: DB })).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ActionError);
      expect(err).toMatchObject({ code: 'failed', retryable: false });
      expect((err as ActionError).message).toContain(`pid ${s.pid}`);
      expect((err as ActionError).message).not.toContain('hunter2');
      expect((err as ActionError).cause).toMatchObject({ ended: 0, failed: [{ pid: s.pid }] });
      expect(await active(s.pid)).toBe(true);
    } finally {
      await admin.query('SELECT pg_cancel_backend($1)', [s.pid]);
      await s.done;
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      await admin.query(`DROP ROLE ${role}`);
    }
  }, 20_000);

  it('stops at once when aborted, and keeps passwords out of what it says', async () => {
    const err = await postgresCancelQueries.plan(ctx({ url: DB_URL }, AbortSignal.abort())).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    const down = await postgresCancelQueries.plan(ctx({ url: 'postgres://u:sup3rsecret@127.0.0.1:1/x' })).then(() => undefined, (e: unknown) => e);
    expect(down).toMatchObject({ code: 'unavailable', retryable: true });
    expect(String((down as Error).message)).not.toContain('sup3rsecret');
  }, 15_000);

  it('declares itself a mutating, idempotent action with validated params', () => {
    for (const a of [postgresCancelQueries, postgresTerminateQueries] as ActionPlugin<EndQueriesParams>[]) {
      expect(a).toMatchObject({ mutates: true, idempotent: true });
      expect(a.rollback).toBeUndefined();
    }
    expect(endQueriesParams.parse({ url: DB_URL })).toMatchObject({ older_than: 30_000, max: 20 });
    expect(endQueriesParams.safeParse({ url: 'mysql://root@localhost/x' }).success).toBe(false);
    expect(endQueriesParams.safeParse({ url: DB_URL, max: 0 }).success).toBe(false);
  });
});

describe('query text in plans and results', () => {
  it('is cut to 200 characters', () => {
    const q = displayQuery(`SELECT ${'x, '.repeat(200)}1`);
    expect(q).toHaveLength(200);
    expect(q.endsWith('…')).toBe(true);
  });
  it('never carries a password literal or a URL password into the record', () => {
    expect(displayQuery("ALTER ROLE app WITH PASSWORD 'hunter2'")).toBe("ALTER ROLE app WITH PASSWORD '***'");
    expect(displayQuery("SET PASSWORD FOR 'app'@'%' = PASSWORD('hunter2')")).not.toContain('hunter2');
    expect(displayQuery("CREATE USER 'app'@'%' IDENTIFIED BY 'hunter2'")).toBe("CREATE USER 'app'@'%' IDENTIFIED BY '***'");
    expect(displayQuery("SELECT dblink_connect('postgres://app:hunter2@db/app')")).not.toContain('hunter2');
  });
});
