import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteOlderThanParams, sqlDeleteOlderThan, type DeleteOlderThanParams } from '../../src/actions/sql-delete.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import type { Clock } from '../../src/core/clock.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { serviceOrSkip } from '../support/services.js';
import { eventually } from '../supervisor/helpers.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
const pgAvailable = await serviceOrSkip('postgres');
const mysqlAvailable = await serviceOrSkip('mysql');

const DAY = 86_400_000;
/** 25 rows 40+ days old, 5 from the last minutes, with batch_size 10: three batches (10, 10, 5). */
const OLD = 25;
const NEW = 5;

function ctx(params: Record<string, unknown>, opts: { clock?: Clock; signal?: AbortSignal } = {}): ActionContext<DeleteOlderThanParams> {
  return {
    params: deleteOlderThanParams.parse(params),
    targetName: 'app-db',
    target: undefined,
    incident: null,
    executionId: 'ex-retention',
    clock: opts.clock ?? systemClock,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

/** Ages in ms: OLD rows past 40 days, NEW rows minutes old. */
function ages(): number[] {
  return [...Array.from({ length: OLD }, (_, i) => 40 * DAY + i * 60_000), ...Array.from({ length: NEW }, (_, i) => (i + 1) * 60_000)];
}
const iso = (ageMs: number): string => new Date(Date.now() - ageMs).toISOString();
const epochS = (ageMs: number): number => Math.floor((Date.now() - ageMs) / 1000);

async function failure(p: Promise<unknown>): Promise<ActionError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ActionError);
  return err as ActionError;
}

const unique = (prefix: string): string => `${prefix}_${randomBytes(4).toString('hex')}`;

describe.skipIf(!pgAvailable)('sql.delete_older_than on PostgreSQL', () => {
  let db: pg.Client;
  const tables: string[] = [];

  /** A table of this run's own, filled with OLD old and NEW new rows (and one NULL, which is never old). */
  async function table(type: string, value: (ageMs: number) => string | number, name = unique('medic_sessions')): Promise<string> {
    tables.push(name);
    await db.query(`CREATE TABLE "${name}" (id serial PRIMARY KEY, created_at ${type})`);
    await db.query(`INSERT INTO "${name}" (created_at) SELECT unnest($1::text[])::${type}`, [ages().map((a) => String(value(a)))]);
    await db.query(`INSERT INTO "${name}" (created_at) VALUES (NULL)`);
    return name;
  }
  const rows = async (name: string): Promise<number> => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`)).rows[0]!.n;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
  });
  afterAll(async () => {
    if (!db) return;
    for (const t of tables) await db.query(`DROP TABLE IF EXISTS "${t}"`);
    await db.end();
  });

  it('plans a count, then deletes exactly the old rows in batches; a second run finds nothing', async () => {
    const t = await table('timestamptz', iso);
    const params = { url: PG_URL, table: t, column: 'created_at', older_than: '30d', batch_size: 10 };
    const plan = await sqlDeleteOlderThan.plan(ctx(params));
    expect(plan.details).toMatchObject({ rows: OLD, batches: 3, batchSize: 10 });
    expect(plan.summary).toContain(`delete ${OLD} rows of ${t} with created_at older than 30d`);
    expect(await rows(t)).toBe(OLD + NEW + 1);

    const result = await sqlDeleteOlderThan.execute(ctx(params));
    expect(result.data).toMatchObject({ deleted: OLD, batches: 3, complete: true });
    expect(result.summary).toBe(`deleted ${OLD} rows of ${t} older than 30d in 3 batches`);
    expect(await rows(t)).toBe(NEW + 1);
    expect((await db.query(`SELECT count(*)::int AS n FROM "${t}" WHERE created_at < now() - interval '30 days'`)).rows[0].n).toBe(0);

    expect((await sqlDeleteOlderThan.execute(ctx(params))).data).toMatchObject({ deleted: 0, batches: 0, complete: true });
  }, 20_000);

  it('reads timestamp without time zone as UTC, and bigint columns as unix seconds', async () => {
    const naive = await table('timestamp', (a) => iso(a).replace('Z', ''));
    const epoch = await table('bigint', epochS);
    for (const t of [naive, epoch]) {
      const result = await sqlDeleteOlderThan.execute(ctx({ url: PG_URL, table: t, column: 'created_at', older_than: '30d', batch_size: 10 }));
      expect(result.data).toMatchObject({ deleted: OLD, batches: 3 });
      expect(await rows(t)).toBe(NEW + 1);
    }
  }, 20_000);

  it('quotes names: a schema-qualified, mixed-case table is the one meant', async () => {
    const t = await table('timestamptz', iso, unique('Medic_Sessions'));
    const result = await sqlDeleteOlderThan.execute(ctx({ url: PG_URL, table: `public.${t}`, column: 'created_at', older_than: '30d', batch_size: 100 }));
    expect(result.data).toMatchObject({ deleted: OLD, batches: 1 });
  }, 20_000);

  it('stops at max_batches and says older rows remain', async () => {
    const t = await table('timestamptz', iso);
    const result = await sqlDeleteOlderThan.execute(ctx({ url: PG_URL, table: t, column: 'created_at', older_than: '30d', batch_size: 10, max_batches: 2 }));
    expect(result.data).toMatchObject({ deleted: 20, batches: 2, complete: false });
    expect(result.summary).toContain('older rows remain');
    expect(await rows(t)).toBe(OLD - 20 + NEW + 1);
  }, 20_000);

  it('on abort, rejects at once and has the server cancel the batch it was waiting on', async () => {
    const t = await table('timestamptz', iso);
    const locker = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT id FROM "${t}" FOR UPDATE`);
      const ctrl = new AbortController();
      const running = sqlDeleteOlderThan.execute(ctx({ url: PG_URL, table: t, column: 'created_at', older_than: '30d' }, { signal: ctrl.signal }));
      const settled = running.then(() => undefined, (e: unknown) => e);
      const waiting = async (): Promise<number> =>
        (await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'medic action ex-retention' AND state = 'active' AND wait_event_type = 'Lock'",
        )).rows[0]!.n;
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 'the batch to wait on the lock', 4_000, 20);
      ctrl.abort();
      expect(await settled).toMatchObject({ code: 'aborted' });
      await eventually(async () => ((await waiting()) === 0 ? true : undefined), 'the server to cancel the batch', 1_500, 20);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await rows(t)).toBe(OLD + NEW + 1);
  }, 20_000);

  it('refuses a column that holds no time, and a table that is not there, before touching a row', async () => {
    const t = await table('text', iso);
    const wrongType = await failure(sqlDeleteOlderThan.execute(ctx({ url: PG_URL, table: t, column: 'created_at', older_than: '30d' })));
    expect(wrongType.code).toBe('invalid_params');
    expect(wrongType.message).toContain('is text');
    expect(await rows(t)).toBe(OLD + NEW + 1);
    const missing = await failure(sqlDeleteOlderThan.plan(ctx({ url: PG_URL, table: unique('no_such_table'), column: 'created_at', older_than: '30d' })));
    expect(missing.code).toBe('not_found');
  }, 20_000);
});

describe.skipIf(!mysqlAvailable)('sql.delete_older_than on MySQL/MariaDB', () => {
  let db: mysql.Connection;
  const tables: string[] = [];

  async function table(type: string, value: (ageMs: number) => string | number): Promise<string> {
    const name = unique('medic_sessions');
    tables.push(name);
    await db.query(`CREATE TABLE \`${name}\` (id INT AUTO_INCREMENT PRIMARY KEY, created_at ${type} NULL)`);
    await db.query(`INSERT INTO \`${name}\` (created_at) VALUES ?`, [[...ages().map((a) => [value(a)]), [null]]]);
    return name;
  }
  const rows = async (name: string): Promise<number> => {
    const [r] = await db.query<mysql.RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${name}\``);
    return Number(r[0]!['n']);
  };
  const datetime = (a: number): string => iso(a).replace('T', ' ').replace('Z', '');

  beforeAll(async () => {
    db = await mysql.createConnection({ uri: MYSQL_URL });
    await db.query("SET time_zone = '+00:00'");
  });
  afterAll(async () => {
    if (!db) return;
    for (const t of tables) await db.query(`DROP TABLE IF EXISTS \`${t}\``);
    await db.end();
  });

  it('plans a count, then deletes exactly the old rows in batches; a second run finds nothing', async () => {
    const t = await table('DATETIME(3)', datetime);
    const params = { url: MYSQL_URL, table: t, column: 'created_at', older_than: '30d', batch_size: 10 };
    const plan = await sqlDeleteOlderThan.plan(ctx(params));
    expect(plan.details).toMatchObject({ rows: OLD, batches: 3 });
    expect(await rows(t)).toBe(OLD + NEW + 1);

    const result = await sqlDeleteOlderThan.execute(ctx(params));
    expect(result.data).toMatchObject({ deleted: OLD, batches: 3, complete: true });
    expect(await rows(t)).toBe(NEW + 1);
    expect((await sqlDeleteOlderThan.execute(ctx(params))).data).toMatchObject({ deleted: 0, batches: 0 });
  }, 20_000);

  it('handles TIMESTAMP and integer epoch columns, and a database-qualified name', async () => {
    const ts = await table('TIMESTAMP(3)', datetime);
    const epoch = await table('BIGINT', epochS);
    for (const t of [ts, `test.${epoch}`]) {
      const result = await sqlDeleteOlderThan.execute(ctx({ url: MYSQL_URL, table: t, column: 'created_at', older_than: '30d', batch_size: 10 }));
      expect(result.data).toMatchObject({ deleted: OLD, batches: 3 });
    }
    expect(await rows(ts)).toBe(NEW + 1);
    expect(await rows(epoch)).toBe(NEW + 1);
  }, 20_000);

  it('on abort, rejects at once and has the server kill the batch it was waiting on', async () => {
    const t = await table('DATETIME(3)', datetime);
    const locker = await mysql.createConnection({ uri: MYSQL_URL });
    try {
      await locker.query('START TRANSACTION');
      await locker.query(`SELECT id FROM \`${t}\` FOR UPDATE`);
      const ctrl = new AbortController();
      const settled = sqlDeleteOlderThan.execute(ctx({ url: MYSQL_URL, table: t, column: 'created_at', older_than: '30d' }, { signal: ctrl.signal }))
        .then(() => undefined, (e: unknown) => e);
      const waiting = async (): Promise<number> => {
        const [r] = await db.query<mysql.RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND INFO LIKE ?",
          [`DELETE FROM \`${t}\`%`],
        );
        return Number(r[0]!['n']);
      };
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 'the batch to wait on the lock', 4_000, 20);
      ctrl.abort();
      expect(await settled).toMatchObject({ code: 'aborted' });
      await eventually(async () => ((await waiting()) === 0 ? true : undefined), 'the server to kill the batch', 1_500, 20);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await rows(t)).toBe(OLD + NEW + 1);
  }, 20_000);

  it('refuses a column that holds no time before touching a row', async () => {
    const t = await table('VARCHAR(40)', datetime);
    const err = await failure(sqlDeleteOlderThan.execute(ctx({ url: MYSQL_URL, table: t, column: 'created_at', older_than: '30d' })));
    expect(err.code).toBe('invalid_params');
    expect(await rows(t)).toBe(OLD + NEW + 1);
  }, 20_000);
});

describe('sql.delete_older_than on SQLite', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-retention-'));
    file = join(dir, 'app.db');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** ISO text in both spellings and unix seconds, side by side; NULL and text that is no date stay. */
  function fill(name: string): void {
    const db = new SqliteDatabase(file);
    try {
      db.exec(`CREATE TABLE "${name}" (id INTEGER PRIMARY KEY, created_at)`);
      const insert = db.prepare(`INSERT INTO "${name}" (created_at) VALUES (?)`);
      ages().forEach((a, i) => insert.run(i % 3 === 0 ? iso(a) : i % 3 === 1 ? iso(a).replace('T', ' ').replace(/\.\d+Z$/, '') : epochS(a)));
      insert.run(null);
      insert.run('never');
    } finally {
      db.close();
    }
  }
  function rows(name: string): number {
    const db = new SqliteDatabase(file, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('deletes exactly the old rows, whichever way their time is written, in batches with pauses', async () => {
    const t = unique('sessions');
    fill(t);
    const pauses: number[] = [];
    const clock: Clock = { now: () => Date.now(), sleep: async (ms) => void pauses.push(ms) };
    for (const url of [`sqlite://${file}`, file]) {
      const plan = await sqlDeleteOlderThan.plan(ctx({ url, table: t, column: 'created_at', older_than: '30d', batch_size: 10 }));
      expect(plan.details).toMatchObject({ rows: OLD, batches: 3 });
    }
    const result = await sqlDeleteOlderThan.execute(ctx({ url: `sqlite://${file}`, table: t, column: 'created_at', older_than: '30d', batch_size: 10, pause: '250ms' }, { clock }));
    expect(result.data).toMatchObject({ deleted: OLD, batches: 3, complete: true });
    // Between batches, not after the last one.
    expect(pauses).toEqual([250, 250]);
    expect(rows(t)).toBe(NEW + 2);
  });

  it('never creates a database that is not there', async () => {
    const missing = join(dir, 'typo.db');
    const err = await failure(sqlDeleteOlderThan.plan(ctx({ url: missing, table: 'sessions', column: 'created_at', older_than: '30d' })));
    expect(err.code).toBe('not_found');
    expect(existsSync(missing)).toBe(false);
  });

  it('stops before the first batch when aborted', async () => {
    const t = unique('sessions');
    fill(t);
    const ctrl = new AbortController();
    ctrl.abort();
    const err = await failure(sqlDeleteOlderThan.execute(ctx({ url: file, table: t, column: 'created_at', older_than: '30d' }, { signal: ctrl.signal })));
    expect(err.code).toBe('aborted');
    expect(rows(t)).toBe(OLD + NEW + 2);
  });
});

describe('sql.delete_older_than params', () => {
  const base = { url: 'postgres://app@db/app', table: 'sessions', column: 'created_at', older_than: '30d' };
  it('accepts plain and schema-qualified names and applies the defaults', () => {
    expect(deleteOlderThanParams.parse({ ...base, table: 'public.sessions' })).toMatchObject({
      older_than: 30 * DAY, batch_size: 1000, max_batches: 1000, pause: 0, epoch_unit: 's',
    });
  });
  it.each([
    ['table', 'sessions; DROP TABLE users'],
    ['table', 'sessions"--'],
    ['table', '1sessions'],
    ['table', 'a..b'],
    ['table', 'a.'],
    ['table', 'db.schema.table'],
    ['column', 'sessions.created_at'],
    ['column', 'created at'],
  ])('rejects %s %j', (key, value) => {
    expect(deleteOlderThanParams.safeParse({ ...base, [key]: value }).success).toBe(false);
  });
  it('needs a positive older_than and a known kind of URL', () => {
    expect(deleteOlderThanParams.safeParse({ ...base, older_than: undefined }).success).toBe(false);
    expect(deleteOlderThanParams.safeParse({ ...base, older_than: '0s' }).success).toBe(false);
    expect(deleteOlderThanParams.safeParse({ ...base, url: 'relative/app.db' }).success).toBe(false);
    expect(deleteOlderThanParams.safeParse({ ...base, url: 'redis://localhost' }).success).toBe(false);
    expect(deleteOlderThanParams.safeParse({ ...base, url: 'sqlite:///var/lib/app.db' }).success).toBe(true);
    expect(deleteOlderThanParams.safeParse({ ...base, url: 'mysql://root@localhost/app' }).success).toBe(true);
  });
  it('is a mutating, idempotent action with no rollback', () => {
    expect(sqlDeleteOlderThan).toMatchObject({ type: 'sql.delete_older_than', mutates: true, idempotent: true });
    expect(sqlDeleteOlderThan.rollback).toBeUndefined();
  });
});
