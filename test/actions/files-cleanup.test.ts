import { existsSync, lutimesSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesCleanupAction, type FilesCleanupParams } from '../../src/actions/files-cleanup.js';
import { compileGlob } from '../../src/actions/glob.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import { ActionError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const clock = new FakeClock();
const NOW = clock.now();

let base: string;
let dir: string;
let outside: string;

/** A file `bytes` long, last modified `ageMs` before the fake clock's now. */
function file(path: string, bytes: number, ageMs: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x'.repeat(bytes));
  const t = (NOW - ageMs) / 1000;
  utimesSync(path, t, t);
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'medic-cleanup-'));
  dir = join(base, 'data');
  outside = join(base, 'outside');
  // Outside the boundary, all very old: anything that follows a link would delete them.
  file(join(outside, 'target.log'), 1000, 100 * DAY);
  file(join(outside, 'dir', 'inner.log'), 2000, 100 * DAY);
  file(join(dir, 'a.log'), 100, 10 * DAY);
  file(join(dir, 'b.log'), 200, 5 * DAY);
  file(join(dir, 'c.log'), 300, HOUR);
  file(join(dir, 'notes.txt'), 50, 10 * DAY);
  file(join(dir, 'sub', 'd.log'), 400, 30 * DAY);
  file(join(dir, 'sessions', 's1'), 10, 20 * DAY);
  file(join(dir, 'sessions', 'deep', 's2'), 20, 15 * DAY);
  file(join(dir, 'sessions', 'deep', 's3'), 30, DAY);
  symlinkSync(join(outside, 'target.log'), join(dir, 'link.log'));
  symlinkSync(join(outside, 'dir'), join(dir, 'linkdir'));
  symlinkSync(join(outside, 'dir'), join(dir, 'sessions', 'linkdir'));
  const old = (NOW - 100 * DAY) / 1000;
  lutimesSync(join(dir, 'link.log'), old, old);
  lutimesSync(join(dir, 'linkdir'), old, old);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function ctx(params: Record<string, unknown>, signal = new AbortController().signal): ActionContext<FilesCleanupParams> {
  return {
    params: filesCleanupAction.schema.parse(params),
    targetName: 'host',
    target: undefined,
    incident: null,
    executionId: 'ex-1',
    clock,
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

const ALL = ['a.log', 'b.log', 'c.log', 'notes.txt', 'sub/d.log', 'sessions/s1', 'sessions/deep/s2', 'sessions/deep/s3'];
function remaining(): string[] {
  return ALL.filter((f) => existsSync(join(dir, f)));
}
function outsideIntact(): void {
  expect(readFileSync(join(outside, 'target.log'), 'utf8')).toHaveLength(1000);
  expect(readFileSync(join(outside, 'dir', 'inner.log'), 'utf8')).toHaveLength(2000);
  expect(existsSync(join(dir, 'link.log'))).toBe(true);
  expect(existsSync(join(dir, 'linkdir'))).toBe(true);
}

describe('files.cleanup', () => {
  it('deletes exactly the old top-level matches and reports their exact bytes', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: '*.log', older_than: '2d' }));
    expect(out.data).toMatchObject({ deleted: 2, bytesReclaimed: 300, skippedByCaps: 0, tooRecent: 1, files: [{ path: 'a.log', bytes: 100 }, { path: 'b.log', bytes: 200 }] });
    expect(remaining()).toEqual(['c.log', 'notes.txt', 'sub/d.log', 'sessions/s1', 'sessions/deep/s2', 'sessions/deep/s3']);
    outsideIntact();
  });

  it('descends with ** but never into a symlinked directory, and never deletes a symlink', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: '**/*.log', older_than: '2d' }));
    expect(out.data).toMatchObject({ deleted: 3, bytesReclaimed: 700, symlinksSkipped: 3 });
    expect(remaining()).toEqual(['c.log', 'notes.txt', 'sessions/s1', 'sessions/deep/s2', 'sessions/deep/s3']);
    outsideIntact();
  });

  it('cleans nested sessions but leaves every directory in place', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: 'sessions/**/*', older_than: '2d' }));
    expect(out.data).toMatchObject({ deleted: 2, bytesReclaimed: 30 });
    expect(remaining()).toEqual(['a.log', 'b.log', 'c.log', 'notes.txt', 'sub/d.log', 'sessions/deep/s3']);
    expect(existsSync(join(dir, 'sessions', 'deep'))).toBe(true);
    outsideIntact();
  });

  it('does not reach through a symlinked directory named in the glob', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: 'linkdir/*', older_than: '1d' }));
    expect(out.data).toMatchObject({ deleted: 0, bytesReclaimed: 0, matched: 0 });
    outsideIntact();
  });

  it('keep_newest keeps the N newest matches even when they are old', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: '**/*.log', older_than: '2d', keep_newest: 2 }));
    // Newest two of c (1h), b (5d), a (10d), d (30d): c and b stay.
    expect(out.data).toMatchObject({ deleted: 2, bytesReclaimed: 500, keptNewest: 2 });
    expect(remaining().filter((f) => f.endsWith('.log'))).toEqual(['b.log', 'c.log']);
    outsideIntact();
  });

  it('max_files deletes the oldest first and reports the rest as skipped by the caps', async () => {
    const out = await filesCleanupAction.execute(ctx({ dir, glob: '**/*.log', older_than: '2d', max_files: 1 }));
    expect(out.data).toMatchObject({ deleted: 1, bytesReclaimed: 400, skippedByCaps: 2, skippedByCapsBytes: 300, files: [{ path: 'sub/d.log', bytes: 400 }] });
    expect(out.summary).toContain('2 more old files');
  });

  it('max_bytes stops at the first file that does not fit, never skipping to a newer one', async () => {
    const under = await filesCleanupAction.execute(ctx({ dir, glob: '**/*.log', older_than: '2d', max_bytes: 450 }));
    expect(under.data).toMatchObject({ deleted: 1, bytesReclaimed: 400, skippedByCaps: 2 });
    const exact = await filesCleanupAction.execute(ctx({ dir, glob: '**/*.log', older_than: '2d', max_bytes: 300 }));
    // a (100) then b (200): exactly the cap.
    expect(exact.data).toMatchObject({ deleted: 2, bytesReclaimed: 300, skippedByCaps: 0 });
    expect(remaining().filter((f) => f.endsWith('.log'))).toEqual(['c.log']);
  });

  it('plan lists what would go, relative to dir, and deletes nothing', async () => {
    const plan = await filesCleanupAction.plan(ctx({ dir, glob: '**/*.log', older_than: '2d', max_files: 2 }));
    expect(plan.details).toMatchObject({
      totalBytes: 500,
      files: [{ path: 'sub/d.log', bytes: 400 }, { path: 'a.log', bytes: 100 }],
      skippedByCaps: 1,
    });
    expect(plan.summary).toContain('delete 2 files');
    expect(remaining()).toEqual(ALL);
    outsideIntact();
  });

  it('running again deletes nothing more', async () => {
    await filesCleanupAction.execute(ctx({ dir, glob: '**/*', older_than: '2d' }));
    const again = await filesCleanupAction.execute(ctx({ dir, glob: '**/*', older_than: '2d' }));
    expect(again.data).toMatchObject({ deleted: 0, bytesReclaimed: 0 });
    expect(remaining()).toEqual(['c.log', 'sessions/deep/s3']);
    outsideIntact();
  });

  it('an aborted step deletes nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const err = await rejection(filesCleanupAction.execute(ctx({ dir, glob: '**/*', older_than: '1s' }, ac.signal)));
    expect(err.code).toBe('aborted');
    expect(remaining()).toEqual(ALL);
  });

  it('refuses a dir that is missing, a file, or the filesystem root', async () => {
    expect((await rejection(filesCleanupAction.execute(ctx({ dir: join(base, 'nope'), glob: '*', older_than: '1d' })))).code).toBe('not_found');
    expect((await rejection(filesCleanupAction.execute(ctx({ dir: join(dir, 'a.log'), glob: '*', older_than: '1d' })))).code).toBe('invalid_params');
    expect((await rejection(filesCleanupAction.plan(ctx({ dir: '/', glob: '*.log', older_than: '1d' })))).code).toBe('unsafe');
  });

  it('validates params at the boundary', () => {
    const parse = (p: Record<string, unknown>) => filesCleanupAction.schema.safeParse(p).success;
    expect(parse({ dir, glob: '*.log', older_than: '7d' })).toBe(true);
    expect(parse({ dir: 'relative', glob: '*.log', older_than: '7d' })).toBe(false);
    expect(parse({ dir, glob: '../*.log', older_than: '7d' })).toBe(false);
    expect(parse({ dir, glob: '/etc/*', older_than: '7d' })).toBe(false);
    expect(parse({ dir, glob: '*.log' })).toBe(false);
    expect(parse({ dir, glob: '*.log', older_than: 'soon' })).toBe(false);
    expect(parse({ dir, glob: '*.log', older_than: '7d', keep_newest: -1 })).toBe(false);
    expect(filesCleanupAction.idempotent).toBe(true);
    expect(filesCleanupAction.mutates).toBe(true);
    expect(filesCleanupAction.rollback).toBeUndefined();
  });
});

describe('compileGlob', () => {
  it.each([
    ['*.log', 'a.log', true],
    ['*.log', '.hidden.log', true],
    ['*.log', 'sub/a.log', false],
    ['**/*.log', 'a.log', true],
    ['**/*.log', 'x/y/a.log', true],
    ['sessions/**/*', 'sessions/a', true],
    ['sessions/**/*', 'sessions/a/b/c', true],
    ['sessions/**/*', 'other/a', false],
    ['sessions/**', 'sessions/a/b', true],
    ['dump-?.sql', 'dump-1.sql', true],
    ['dump-?.sql', 'dump-10.sql', false],
    ['dump-[0-9].sql', 'dump-7.sql', true],
    ['dump-[!0-9].sql', 'dump-7.sql', false],
    ['*.{gz,zst}', 'a.zst', true],
    ['*.{gz,zst}', 'a.bz2', false],
    ['a.b', 'axb', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
  ])('%s against %s is %s', (pattern, path, expected) => {
    expect(compileGlob(pattern).matches(path)).toBe(expected);
  });

  it('knows how deep a match can be, and rejects patterns that climb or are ambiguous', () => {
    expect(compileGlob('*.log').maxDepth).toBe(1);
    expect(compileGlob('a/*/b').maxDepth).toBe(3);
    expect(compileGlob('a/**/b').maxDepth).toBe(Infinity);
    for (const bad of ['', '/abs', 'a//b', '../x', 'a/./b', 'a**', 'x\\']) expect(() => compileGlob(bad)).toThrow();
  });
});
