import { existsSync, openSync, closeSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesRotateAction, type FilesRotateParams } from '../../src/actions/files-rotate.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import { ActionError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

let dir: string;
let log: string;
const CONTENT = Array.from({ length: 500 }, (_, i) => `2026-01-01T12:00:00Z line ${i} request handled\n`).join('');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medic-rotate-'));
  log = join(dir, 'app.log');
  writeFileSync(log, CONTENT, { mode: 0o640 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(params: Record<string, unknown>, signal = new AbortController().signal): ActionContext<FilesRotateParams> {
  return {
    params: filesRotateAction.schema.parse(params),
    targetName: 'host',
    target: undefined,
    incident: null,
    executionId: 'ex-1',
    clock: new FakeClock(),
    signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

async function rejection(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('expected a rejection');
}

const gz = (n: number): string => gunzipSync(readFileSync(`${log}.${n}.gz`)).toString('utf8');

describe('files.rotate', () => {
  it('gzips the live file to .1.gz, truncates it in place, and the writer keeps its descriptor', async () => {
    const writer = openSync(log, 'a');
    try {
      const out = await filesRotateAction.execute(ctx({ path: log }));
      expect(gz(1)).toBe(CONTENT);
      expect(statSync(log).size).toBe(0);
      const gzSize = statSync(`${log}.1.gz`).size;
      expect(gzSize).toBeLessThan(CONTENT.length);
      expect(out.data).toMatchObject({ rotated: true, bytesCopied: CONTENT.length, rotatedBytes: gzSize, bytesReclaimed: CONTENT.length - gzSize, dropped: [] });
      expect(statSync(`${log}.1.gz`).mode & 0o777).toBe(0o640);
      writeSync(writer, 'after rotation\n');
    } finally {
      closeSync(writer);
    }
    expect(readFileSync(log, 'utf8')).toBe('after rotation\n');
    // No temp file left behind.
    expect(readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1.gz']);
  });

  it('shifts older rotations up and drops the ones beyond keep', async () => {
    for (const n of [1, 2, 3, 7]) writeFileSync(`${log}.${n}.gz`, gzipSync(`generation ${n}\n`));
    const out = await filesRotateAction.execute(ctx({ path: log, keep: 3 }));
    expect(gz(1)).toBe(CONTENT);
    expect(gz(2)).toBe('generation 1\n');
    expect(gz(3)).toBe('generation 2\n');
    expect(existsSync(`${log}.4.gz`)).toBe(false);
    expect(existsSync(`${log}.7.gz`)).toBe(false);
    expect(out.data).toMatchObject({ dropped: ['app.log.7.gz', 'app.log.3.gz'] });
  });

  it('with compress false copies the file as it is', async () => {
    writeFileSync(`${log}.1`, 'previous\n');
    const out = await filesRotateAction.execute(ctx({ path: log, compress: false, keep: 2 }));
    expect(readFileSync(`${log}.1`, 'utf8')).toBe(CONTENT);
    expect(readFileSync(`${log}.2`, 'utf8')).toBe('previous\n');
    expect(statSync(log).size).toBe(0);
    expect(out.data).toMatchObject({ bytesReclaimed: 0 });
  });

  it('does nothing below min_size, or for an empty file', async () => {
    const out = await filesRotateAction.execute(ctx({ path: log, min_size: CONTENT.length + 1 }));
    expect(out.summary).toContain('under min_size');
    expect(out.data).toMatchObject({ rotated: false, bytesReclaimed: 0 });
    expect(readFileSync(log, 'utf8')).toBe(CONTENT);
    expect(readdirSync(dir)).toEqual(['app.log']);
    writeFileSync(log, '');
    expect((await filesRotateAction.execute(ctx({ path: log }))).data).toMatchObject({ rotated: false });
    expect(readdirSync(dir)).toEqual(['app.log']);
  });

  it('refuses a symlink and leaves it and its target alone', async () => {
    const link = join(dir, 'link.log');
    symlinkSync(log, link);
    expect((await rejection(filesRotateAction.execute(ctx({ path: link })))).code).toBe('unsafe');
    expect((await rejection(filesRotateAction.plan(ctx({ path: link })))).code).toBe('unsafe');
    expect(readFileSync(log, 'utf8')).toBe(CONTENT);
    expect(readdirSync(dir).sort()).toEqual(['app.log', 'link.log']);
  });

  it('an aborted step rotates nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(filesRotateAction.execute(ctx({ path: log }, ac.signal)))).code).toBe('aborted');
    expect(readFileSync(log, 'utf8')).toBe(CONTENT);
    expect(readdirSync(dir)).toEqual(['app.log']);
  });

  it('plan says what would happen and changes nothing; a missing file is not_found', async () => {
    writeFileSync(`${log}.2.gz`, gzipSync('old'));
    const plan = await filesRotateAction.plan(ctx({ path: log, keep: 2 }));
    expect(plan.details).toMatchObject({ rotate: true, to: 'app.log.1.gz', drop: ['app.log.2.gz'], bytes: CONTENT.length });
    expect(readFileSync(log, 'utf8')).toBe(CONTENT);
    expect(readdirSync(dir).sort()).toEqual(['app.log', 'app.log.2.gz']);
    expect((await rejection(filesRotateAction.execute(ctx({ path: join(dir, 'missing.log') })))).code).toBe('not_found');
    expect(filesRotateAction.idempotent).toBe(false);
    expect(filesRotateAction.mutates).toBe(true);
    expect(filesRotateAction.rollback).toBeUndefined();
  });
});
