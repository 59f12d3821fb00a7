import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killQueriesParams, mysqlKillQueries, type KillQueriesParams } from '../../src/actions/mysql.js';
import type { RunningQuery } from '../../src/actions/postgres.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import type { ProbeConfig } from '../../src/config/types.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { createMysqlProbe, mysqlProbeParams } from '../../src/probes/mysql.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { serviceOrSkip } from '../support/services.js';
import { eventually } from '../supervisor/helpers.js';

const ADMIN_URL = 'mysql://root@127.0.0.1:3306/test';
const available = await serviceOrSkip('mysql');

/** Every action here is limited to a database of this run's own: a suite running next to this one never loses a query. */
const DB = `medic_action_${randomBytes(4).toString('hex')}`;
const DB_URL = `mysql://root@127.0.0.1:3306/${DB}`;

function ctx(params: Record<string, unknown>, signal?: AbortSignal): ActionContext<KillQueriesParams> {
  return {
    params: killQueriesParams.parse(params),
    targetName: 'db',
    target: undefined,
    incident: null,
    executionId: 'ex-my',
    clock: systemClock,
    signal: signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

interface Sleeper {
  readonly conn: mysql.Connection;
  readonly id: number;
  /** Settles with the result or the error when the sleep ends. */
  readonly done: Promise<unknown>;
}

describe.skipIf(!available)('mysql.kill_queries', () => {
  let admin: mysql.Connection;
  /** MariaDB has milliseconds; MySQL whole seconds. */
  let ageColumn = 'TIME';
  const conns: mysql.Connection[] = [];
  const probe = createMysqlProbe();

  async function sleeper(seconds: number): Promise<Sleeper> {
    const conn = await mysql.createConnection({ uri: DB_URL });
    conn.on('error', () => {});
    conns.push(conn);
    const done = conn.query(`SELECT SLEEP(${seconds})`).then(() => 'finished', (err: unknown) => err);
    await ageOf(conn.threadId, 0);
    return { conn, id: conn.threadId, done };
  }

  /** Resolves once the thread's statement has run at least `seconds` (polling, with a deadline). */
  function ageOf(id: number, seconds: number): Promise<number> {
    return eventually(async () => {
      const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT ${ageColumn} AS age FROM information_schema.PROCESSLIST WHERE ID = ? AND COMMAND = 'Query'`, [id]);
      const age = rows[0] ? Number(rows[0]['age']) : undefined;
      return age !== undefined && age >= seconds ? age : undefined;
    }, `thread ${id} to run ${seconds}s`, 15_000, 50);
  }

  async function state(id: number): Promise<string | undefined> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = ?', [id]);
    return rows[0]?.['COMMAND'] as string | undefined;
  }

  async function slowQueries(minAge: string): Promise<number> {
    const config: ProbeConfig = { name: 'my-action-test', type: 'mysql', target: 'db', intervalMs: 1000, timeoutMs: 5000, params: {} };
    const samples = await probe.check!({
      probe: config,
      params: mysqlProbeParams.parse({ url: DB_URL, min_age: minAge, database: DB }),
      target: { name: 'db', labels: {}, process: null },
      clock: systemClock,
      signal: new AbortController().signal,
      log: silentLogger,
      supervisor: {} as SupervisorPort,
    });
    return samples.find((s) => s.name === 'slow_queries')?.value ?? -1;
  }

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: ADMIN_URL });
    const [version] = await admin.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    if (/mariadb/i.test(String(version[0]?.['v']))) ageColumn = 'TIME_MS / 1000';
    await admin.query(`CREATE DATABASE \`${DB}\``);
  });

  afterAll(async () => {
    await probe.close();
    await Promise.all(conns.map((c) => c.end().catch(() => {})));
    if (!admin) return;
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [DB]);
    for (const r of rows) await admin.query(`KILL ${Number(r['ID'])}`).catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
    await admin.end();
  });

  it('kills the query older than older_than, and leaves a younger one and its own connection alone', async () => {
    const old = await sleeper(120);
    // The probe sees it first (min_age 1s), polled until it qualifies.
    await eventually(async () => ((await slowQueries('1s')) >= 1 ? true : undefined), 'the probe to see SLEEP(120)', 15_000, 100);
    await ageOf(old.id, 5);
    const young = await sleeper(30);
    const params = { url: DB_URL, older_than: '3s', database: DB };

    const plan = await mysqlKillQueries.plan(ctx(params));
    const planned = plan.details!['queries'] as RunningQuery[];
    expect(planned.map((q) => q.pid)).toEqual([old.id]);
    expect(planned[0]).toMatchObject({ user: 'root', database: DB, query: 'SELECT SLEEP(120)' });
    expect(planned[0]!.age_s).toBeGreaterThanOrEqual(5);
    expect(plan.summary).toContain('kill 1 query running longer than 3s');
    // Planning ends nothing.
    expect(await state(old.id)).toBe('Query');

    const result = await mysqlKillQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 1, pids: [old.id], failed: [] });
    expect(result.summary).toContain(`killed 1 query running longer than 3s (database ${DB}) (pids ${old.id})`);
    await old.done;
    // KILL QUERY ends the statement, not the connection.
    await expect(old.conn.query('SELECT 1 AS one')).resolves.toMatchObject([[{ one: 1 }], expect.anything()]);
    expect(await state(young.id)).toBe('Query');
    expect(await slowQueries('3s')).toBe(0);

    await admin.query(`KILL QUERY ${young.id}`);
    await young.done;
  }, 30_000);

  it("mode 'connection' kills the whole connection, oldest first, at most max", async () => {
    const first = await sleeper(120);
    const second = await sleeper(120);
    await ageOf(second.id, 1.5);
    const params = { url: DB_URL, older_than: '1s', database: DB, max: 1, mode: 'connection' };
    expect((await mysqlKillQueries.plan(ctx(params))).summary).toContain('kill the connections of 1 query');
    const result = await mysqlKillQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 1, pids: [first.id] });
    expect(await first.done).toBeInstanceOf(Error);
    await eventually(async () => ((await state(first.id)) === undefined ? true : undefined), 'the connection to go', 5_000, 50);
    expect(await state(second.id)).toBe('Query');
    await admin.query(`KILL QUERY ${second.id}`);
    await second.done;
  }, 25_000);

  it('re-selects at run time: a query that ended after the plan is not touched', async () => {
    const s = await sleeper(120);
    await ageOf(s.id, 1.5);
    const params = { url: DB_URL, older_than: '1s', database: DB };
    expect((await mysqlKillQueries.plan(ctx(params))).details!['total']).toBe(1);
    await admin.query(`KILL QUERY ${s.id}`);
    await s.done;
    const result = await mysqlKillQueries.execute(ctx(params));
    expect(result.data).toMatchObject({ ended: 0, pids: [] });
    expect(result.summary).toMatch(/nothing to kill/);
  }, 20_000);

  it('never kills its own connection, even with older_than 0', async () => {
    const params = { url: DB_URL, older_than: 0, database: DB };
    expect((await mysqlKillQueries.plan(ctx(params))).details!['queries']).toEqual([]);
    const result = await mysqlKillQueries.execute(ctx({ ...params, mode: 'connection' }));
    expect(result.data).toMatchObject({ ended: 0, failed: [] });
  }, 15_000);

  it('fails, naming the thread, when it may see but not kill a query', async () => {
    const s = await sleeper(120);
    await ageOf(s.id, 1.2);
    const user = `medic_weak_${randomBytes(3).toString('hex')}`;
    // PROCESS shows every thread; without CONNECTION ADMIN/SUPER, KILL of another user's thread is refused.
    await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'hunter2'`);
    await admin.query(`GRANT PROCESS ON *.* TO '${user}'@'127.0.0.1'`);
    await admin.query(`GRANT SELECT ON \`${DB}\`.* TO '${user}'@'127.0.0.1'`);
    try {
      const weakUrl = `mysql://${user}:hunter2@127.0.0.1:3306/${DB}`;
      const err = await mysqlKillQueries.execute(ctx({ url: weakUrl, older_than: '1s', database: DB })).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ActionError);
      expect(err).toMatchObject({ code: 'failed', retryable: false });
      expect((err as ActionError).message).toContain(`pid ${s.id}`);
      expect((err as ActionError).message).not.toContain('hunter2');
      expect(await state(s.id)).toBe('Query');
    } finally {
      await admin.query(`KILL QUERY ${s.id}`);
      await s.done;
      await admin.query(`DROP USER '${user}'@'127.0.0.1'`);
    }
  }, 20_000);

  it('stops at once when aborted, and keeps passwords out of what it says', async () => {
    const err = await mysqlKillQueries.plan(ctx({ url: DB_URL }, AbortSignal.abort())).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'aborted' });
    const down = await mysqlKillQueries.plan(ctx({ url: 'mysql://u:sup3rsecret@127.0.0.1:1/x' })).then(() => undefined, (e: unknown) => e);
    expect(down).toMatchObject({ code: 'unavailable', retryable: true });
    expect(String((down as Error).message)).not.toContain('sup3rsecret');
  }, 15_000);

  it('declares itself a mutating, idempotent action with validated params', () => {
    expect(mysqlKillQueries).toMatchObject({ type: 'mysql.kill_queries', mutates: true, idempotent: true });
    expect(mysqlKillQueries.rollback).toBeUndefined();
    expect(killQueriesParams.parse({ url: DB_URL })).toMatchObject({ older_than: 30_000, max: 20, mode: 'query' });
    expect(killQueriesParams.safeParse({ url: 'postgres://x@localhost/y' }).success).toBe(false);
    expect(killQueriesParams.safeParse({ url: DB_URL, mode: 'everything' }).success).toBe(false);
  });
});
