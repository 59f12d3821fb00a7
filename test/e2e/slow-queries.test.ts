import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceOrSkip } from '../support/services.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

/**
 * Slow queries end to end, through the real engine, against the real servers:
 * three long sleeps are detected as P2 (3–10 slow queries, SPEC §3), the
 * runbook ends exactly those, and a query started when the incident opened
 * (younger than the runbook's older_than) survives, as does the probe's own
 * connection. Each server gets a database of this run's own, so a neighbour
 * on the same server never loses a query to this test.
 */
const pgUp = await serviceOrSkip('postgres');
const myUp = await serviceOrSkip('mysql');

interface Db {
  readonly kind: 'postgres' | 'mysql';
  readonly url: string;
  sleep(seconds: number): Promise<string>;
  close(): Promise<void>;
}

async function postgresDb(): Promise<Db> {
  const name = `medic_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const clients: pg.Client[] = [];
  return {
    kind: 'postgres', url,
    async sleep(seconds) {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => {});
      clients.push(c);
      await c.connect();
      return c.query(`SELECT pg_sleep(${seconds})`).then(() => 'finished', (e: Error) => `ended: ${e.message}`);
    },
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

async function mysqlDb(): Promise<Db> {
  const name = `medic_e2e_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = `mysql://root@127.0.0.1:3306/${name}`;
  const conns: mysql.Connection[] = [];
  return {
    kind: 'mysql', url,
    async sleep(seconds) {
      const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: name });
      c.on('error', () => {});
      conns.push(c);
      return c.query(`SELECT SLEEP(${seconds}) AS s`).then(([rows]) => {
        // KILL QUERY makes SLEEP() return 1 early instead of failing.
        const s = (rows as { s: number }[])[0]?.s;
        return s === 1 ? 'ended: interrupted' : 'finished';
      }, (e: Error) => `ended: ${e.message}`);
    },
    async close() {
      await Promise.all(conns.map((c) => c.destroy()));
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
}

function setup(db: Db) {
  const action = db.kind === 'postgres' ? 'postgres.cancel_queries' : 'mysql.kill_queries';
  const database = db.url.split('/').pop()!;
  const config = configYaml(`
  - name: db
probes:
  - { name: db-queries, type: ${db.kind}, target: db, interval: 250ms, timeout: 2s,
      params: { url: "${db.url}", min_age: 1s, database: ${database} } }
rules:
  - name: slow-queries
    targets: [db]
    value: { signal: slow_queries, fn: last }
    bands:
      - { severity: P1, gt: 10 }
      - { severity: P2, gte: 3 }
`);
  const runbook = `
name: end-slow-queries
description: End the queries that run too long.
match: { rules: [slow-queries] }
risk: medium
impact: The ended queries fail for their callers.
rollback_plan: None; clients re-run.
approval: by_severity
settle: 0s
steps:
  - name: end them
    action: ${action}
    params: { url: "${db.url}", older_than: 1s, database: ${database} }
verify: { timeout: 10s, interval: 100ms }
watch: { duration: 0s }
`;
  return { config, runbook };
}

describe.each([
  { kind: 'postgres' as const, up: pgUp, make: postgresDb },
  { kind: 'mysql' as const, up: myUp, make: mysqlDb },
])('slow queries on $kind, through the engine', ({ up, make }) => {
  let h: Harness | undefined;
  let db: Db | undefined;
  afterEach(async () => {
    await h?.close();
    await db?.close();
  });

  it.skipIf(!up)('detects three long sleeps as P2 and ends exactly those; a younger query survives', async () => {
    db = await make();
    const { config, runbook } = setup(db);
    h = await startHarness({ config, runbooks: [runbook], target: 'db' });
    const opened = h.next('incident:opened', (e) => e.incident.rule === 'slow-queries', 20_000);
    const resolved = h.next('incident:resolved', (e) => e.incident.rule === 'slow-queries', 30_000);
    const old = [db.sleep(120), db.sleep(120), db.sleep(120)];

    const { incident } = await opened;
    expect(incident.severity).toBe('P2');
    expect(incident.value).toBe(3);
    const young = db.sleep(3);

    const { why } = await resolved;
    expect(why).toMatch(/^fixed by end-slow-queries/);
    for (const outcome of await Promise.all(old)) expect(outcome).toMatch(/^ended/);
    expect(await young).toBe('finished');
    const steps = (await h.engine.store.executions.list({ incidentId: incident.id })).items;
    const step = (await h.engine.store.executions.steps(steps[0]!.id))[0]!;
    expect(step.output).toMatch(/\b3\b/);
    // The probe's own connection is still there: it goes on reading.
    const probe = await h.next('signals', (e) => e.signals.some((s) => s.name === 'slow_queries'), 5_000);
    expect(probe.signals.find((s) => s.name === 'slow_queries')?.value).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
