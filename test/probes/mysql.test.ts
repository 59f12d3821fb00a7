import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample, Signal } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { ProbeRunner } from '../../src/engine/probe-runner.js';
import { createMysqlProbe, mysqlProbeParams, type MysqlProbeParams } from '../../src/probes/mysql.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { serviceOrSkip } from '../support/services.js';
import { eventually } from '../supervisor/helpers.js';

const ADMIN_URL = 'mysql://root@127.0.0.1:3306/test';
const available = await serviceOrSkip('mysql');

/** A database of this run's own, so that other suites' sessions never count. */
const DB = `medic_probe_${randomBytes(4).toString('hex')}`;
const DB_URL = `mysql://root@127.0.0.1:3306/${DB}`;
const target: TargetConfig = { name: 'db', labels: {}, process: null };

const probe = createMysqlProbe();

function ctx(params: Record<string, unknown>, opts: { signal?: AbortSignal; name?: string } = {}): ProbeContext<MysqlProbeParams> {
  const config: ProbeConfig = { name: opts.name ?? 'my', type: 'mysql', target: 'db', intervalMs: 1000, timeoutMs: 5000, params };
  return {
    probe: config,
    params: mysqlProbeParams.parse(params),
    target,
    clock: systemClock,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
  };
}

function byName(samples: Sample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [s.name, s.value]));
}

const check = async (params: Record<string, unknown>): Promise<Record<string, number>> => byName(await probe.check!(ctx(params)));

describe.skipIf(!available)('mysql probe', () => {
  let admin: mysql.Connection;
  const clients: mysql.Connection[] = [];

  async function connect(): Promise<mysql.Connection> {
    const c = await mysql.createConnection({ uri: DB_URL });
    c.on('error', () => {});
    clients.push(c);
    return c;
  }

  /** Starts a sleep in its own connection, not awaited: its thread id, and a promise that settles when it ends. */
  async function sleeper(seconds: number): Promise<{ id: number; done: Promise<unknown> }> {
    const c = await connect();
    const done = c.query(`SELECT SLEEP(${seconds})`).catch((err: unknown) => err);
    return { id: c.threadId, done };
  }

  /** Connections to this run's database, whatever they are doing. */
  async function threads(): Promise<number> {
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?', [DB]);
    return Number(rows[0]!['n']);
  }

  beforeAll(async () => {
    admin = await mysql.createConnection({ uri: ADMIN_URL });
    await admin.query(`CREATE DATABASE \`${DB}\``);
  });

  afterAll(async () => {
    await probe.close();
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    if (!admin) return;
    await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
    await admin.end();
  });

  it('counts a query running longer than min_age, and only while it is older', async () => {
    const { id, done } = await sleeper(120);
    // Poll the probe itself until the query qualifies: no fixed sleep.
    const s = await eventually(async () => {
      const r = await check({ url: DB_URL, min_age: '1s', database: DB });
      return r['slow_queries']! >= 1 ? r : undefined;
    }, 'the probe to see SLEEP(120)', 15_000, 100);
    expect(s).toMatchObject({ mysql_up: 1, slow_queries: 1 });
    expect(s['longest_query_seconds']).toBeGreaterThan(1);
    expect(s['connections_used_percent']).toBeGreaterThan(0);
    expect(s['connections_used_percent']).toBeLessThanOrEqual(100);
    expect(s['cache_hit_ratio']).toBeGreaterThan(0);
    expect(s['cache_hit_ratio']).toBeLessThanOrEqual(1);

    expect((await check({ url: DB_URL, min_age: '10m', database: DB }))['slow_queries']).toBe(0);
    expect((await check({ url: DB_URL, min_age: '1s', database: 'no_such_db' }))['slow_queries']).toBe(0);
    expect((await check({ url: DB_URL, min_age: '1s', database: DB, user: 'nobody' }))['slow_queries']).toBe(0);
    await admin.query(`KILL QUERY ${id}`);
    await done;
  }, 25_000);

  it('never counts sleeping connections or its own connection', async () => {
    const idle = await connect();
    await idle.query('SELECT 1');
    // min_age 0: the probe's own statement would count at once if it were not left out.
    const s = await check({ url: DB_URL, min_age: 0, database: DB });
    expect(s).toMatchObject({ mysql_up: 1, slow_queries: 0 });
  }, 15_000);

  it('reports mysql_up 0 when the database does not answer, without throwing', async () => {
    const s = await check({ url: 'mysql://root:secret@127.0.0.1:1/test', min_age: '1s' });
    expect(s).toEqual({ mysql_up: 0 });
  }, 15_000);

  it('gives up at once when its signal is aborted', async () => {
    const s = byName(await probe.check!(ctx({ url: DB_URL }, { signal: AbortSignal.abort(), name: 'my-aborted' })));
    expect(s).toEqual({ mysql_up: 0 });
  }, 15_000);

  it('keeps one connection between checks and closes it when the engine stops', async () => {
    const own = createMysqlProbe();
    const got: Signal[][] = [];
    const runner = new ProbeRunner({
      probes: [{ name: 'my-runner', type: 'mysql', target: 'db', intervalMs: 60_000, timeoutMs: 5_000, params: { url: DB_URL, database: DB } }],
      plugins: new Map([['mysql', own]]),
      targets: { db: target },
      supervisor: {} as SupervisorPort,
      clock: systemClock,
      log: silentLogger,
      emit: (signals) => got.push(signals),
    });
    const before = await threads();
    try {
      runner.start();
      await runner.checkNow('db');
      await runner.checkNow('db');
      expect(got.flat().find((s) => s.name === 'mysql_up')?.value).toBe(1);
      expect(await threads()).toBe(before + 1);
    } finally {
      await runner.stop();
    }
    await eventually(async () => ((await threads()) === before ? true : undefined), 'the probe connection to close', 5_000, 50);
    await own.close();
  }, 20_000);
});
