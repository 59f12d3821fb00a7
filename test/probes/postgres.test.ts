import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample, Signal } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { ProbeRunner } from '../../src/engine/probe-runner.js';
import { createPostgresProbe, postgresProbeParams, type PostgresProbeParams } from '../../src/probes/postgres.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { serviceOrSkip } from '../support/services.js';
import { eventually } from '../supervisor/helpers.js';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
const available = await serviceOrSkip('postgres');

/** Every test gets a database of its own run, so that other suites' sessions never count. */
const DB = `medic_probe_${randomBytes(4).toString('hex')}`;
const DB_URL = `postgres://postgres@127.0.0.1:5432/${DB}`;
const target: TargetConfig = { name: 'db', labels: {}, process: null };

const probe = createPostgresProbe();

function ctx(params: Record<string, unknown>, opts: { signal?: AbortSignal; name?: string } = {}): ProbeContext<PostgresProbeParams> {
  const config: ProbeConfig = { name: opts.name ?? 'pg', type: 'postgres', target: 'db', intervalMs: 1000, timeoutMs: 5000, params };
  return {
    probe: config,
    params: postgresProbeParams.parse(params),
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

describe.skipIf(!available)('postgres probe', () => {
  let admin: pg.Client;
  const clients: pg.Client[] = [];

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: DB_URL });
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  }

  /** Starts a sleep in its own session, not awaited: its pid, and a promise that settles when it ends. */
  async function sleeper(seconds: number): Promise<{ pid: number; done: Promise<unknown> }> {
    const c = await connect();
    const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const done = c.query(`SELECT pg_sleep(${seconds})`).catch((err: unknown) => err);
    return { pid: rows[0]!.pid, done };
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

  it('counts a query running longer than min_age, and only while it is older', async () => {
    const { pid, done } = await sleeper(120);
    // Poll the probe itself until the query qualifies: no fixed sleep.
    const s = await eventually(async () => {
      const r = await check({ url: DB_URL, min_age: '1s', database: DB });
      return r['slow_queries']! >= 1 ? r : undefined;
    }, 'the probe to see pg_sleep(120)', 15_000, 100);
    expect(s).toMatchObject({ postgres_up: 1, slow_queries: 1 });
    expect(s['longest_query_seconds']).toBeGreaterThan(1);
    expect(s['connections_used_percent']).toBeGreaterThan(0);
    expect(s['connections_used_percent']).toBeLessThanOrEqual(100);
    expect(s['cache_hit_ratio']).toBeGreaterThan(0);
    expect(s['cache_hit_ratio']).toBeLessThanOrEqual(1);
    expect(s['deadlocks']).toBeGreaterThanOrEqual(0);

    // Younger than min_age, another database, another user: not counted.
    expect((await check({ url: DB_URL, min_age: '10m', database: DB }))['slow_queries']).toBe(0);
    expect((await check({ url: DB_URL, min_age: '1s', database: 'no_such_db' }))['slow_queries']).toBe(0);
    expect((await check({ url: DB_URL, min_age: '1s', database: DB, user: 'nobody' }))['slow_queries']).toBe(0);
    await admin.query('SELECT pg_cancel_backend($1)', [pid]);
    await done;
  }, 25_000);

  it('never counts idle sessions or its own connection', async () => {
    const idle = await connect();
    await idle.query('SELECT 1');
    // min_age 0: the probe's own statement would count at once if it were not left out.
    const s = await check({ url: DB_URL, min_age: 0, database: DB });
    expect(s).toMatchObject({ postgres_up: 1, slow_queries: 0 });
  }, 15_000);

  it('reports postgres_up 0 when the database does not answer, without throwing', async () => {
    const s = await check({ url: 'postgres://postgres:secret@127.0.0.1:1/test', min_age: '1s' });
    expect(s).toEqual({ postgres_up: 0 });
  }, 15_000);

  it('gives up at once when its signal is aborted', async () => {
    const s = byName(await probe.check!(ctx({ url: DB_URL }, { signal: AbortSignal.abort(), name: 'pg-aborted' })));
    expect(s).toEqual({ postgres_up: 0 });
  }, 15_000);

  it('keeps one connection between checks and closes it when the engine stops', async () => {
    const name = `pg-${randomBytes(3).toString('hex')}`;
    const connections = async (): Promise<number> => {
      const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [`medic probe ${name}`]);
      return rows[0]!.n;
    };
    const own = createPostgresProbe();
    const got: Signal[][] = [];
    const runner = new ProbeRunner({
      probes: [{ name, type: 'postgres', target: 'db', intervalMs: 60_000, timeoutMs: 5_000, params: { url: DB_URL, database: DB } }],
      plugins: new Map([['postgres', own]]),
      targets: { db: target },
      supervisor: {} as SupervisorPort,
      clock: systemClock,
      log: silentLogger,
      emit: (signals) => got.push(signals),
    });
    try {
      runner.start();
      await runner.checkNow('db');
      await runner.checkNow('db');
      expect(got.flat().find((s) => s.name === 'postgres_up')?.value).toBe(1);
      expect(await connections()).toBe(1);
    } finally {
      await runner.stop();
    }
    await eventually(async () => ((await connections()) === 0 ? true : undefined), 'the probe connection to close', 5_000, 50);
    await own.close();
  }, 20_000);
});
