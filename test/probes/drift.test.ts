import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { driftProbe, driftProbeParams, MAX_COMPARE_BYTES, treeDrift, type DriftProbeParams } from '../../src/probes/drift.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

const target: TargetConfig = { name: 'web', labels: {}, process: null };

function ctx(params: Record<string, unknown>, signal?: AbortSignal): ProbeContext<DriftProbeParams> {
  const probe: ProbeConfig = { name: 'nginx-conf', type: 'drift', target: 'web', intervalMs: 60_000, timeoutMs: 5_000, params };
  return {
    probe,
    params: driftProbe.schema.parse(params),
    target,
    clock: systemClock,
    signal: signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
  };
}

async function check(params: Record<string, unknown>): Promise<Record<string, number>> {
  const samples: Sample[] = await driftProbe.check!(ctx(params));
  return Object.fromEntries(samples.map((s) => [s.name, s.value]));
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medic-drift-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('drift probe, one file', () => {
  it('reads 0 for a file equal to its desired copy and 1 once it drifted', async () => {
    const path = join(dir, 'app.conf');
    const desired = join(dir, 'app.conf.desired');
    await writeFile(desired, 'workers 4;\n');
    await writeFile(path, 'workers 4;\n');
    expect(await check({ path, desired_path: desired })).toEqual({ drift: 0, drift_files: 0 });
    await writeFile(path, 'workers 5;\n');
    expect(await check({ path, desired_path: desired })).toEqual({ drift: 1, drift_files: 1 });
  });

  it('counts a missing file as drifted, but a missing desired copy as a configuration error', async () => {
    const desired = join(dir, 'desired');
    await writeFile(desired, 'x');
    expect(await check({ path: join(dir, 'gone'), desired_path: desired })).toEqual({ drift: 1, drift_files: 1 });
    await writeFile(join(dir, 'here'), 'x');
    await expect(check({ path: join(dir, 'here'), desired_path: join(dir, 'nope') })).rejects.toThrow(/ENOENT/);
  });

  it('compares against a SHA-256, in either case', async () => {
    const path = join(dir, 'app.conf');
    await writeFile(path, 'hello\n');
    expect(await check({ path, desired_sha256: sha256('hello\n') })).toEqual({ drift: 0, drift_files: 0 });
    expect(await check({ path, desired_sha256: sha256('hello\n').toUpperCase() })).toEqual({ drift: 0, drift_files: 0 });
    expect(await check({ path, desired_sha256: sha256('bye\n') })).toEqual({ drift: 1, drift_files: 1 });
  });

  it('reads no file bigger than the cap: a different size is drift unread, an equal size fails the check', async () => {
    const path = join(dir, 'big');
    const desired = join(dir, 'big.desired');
    await writeFile(path, '');
    await writeFile(desired, '');
    await truncate(path, MAX_COMPARE_BYTES + 1);
    await truncate(desired, MAX_COMPARE_BYTES + 2);
    expect(await check({ path, desired_path: desired })).toEqual({ drift: 1, drift_files: 1 });
    await truncate(desired, MAX_COMPARE_BYTES + 1);
    await expect(check({ path, desired_path: desired })).rejects.toThrow(/larger than 10 MiB/);
    await expect(check({ path, desired_sha256: sha256('') })).rejects.toThrow(/larger than 10 MiB/);
  });
});

describe('drift probe, a directory', () => {
  async function tree(root: string, files: Record<string, string>): Promise<void> {
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(join(root, rel, '..'), { recursive: true });
      await writeFile(join(root, rel), content);
    }
  }

  it('reads 0 for equal trees and counts missing, extra and changed files', async () => {
    const want = join(dir, 'want');
    const have = join(dir, 'have');
    const files = { 'nginx.conf': 'a', 'conf.d/site.conf': 'b', 'conf.d/tls.conf': 'c' };
    await tree(want, files);
    await tree(have, files);
    expect(await check({ dir: have, desired_dir: want })).toEqual({ drift: 0, drift_files: 0 });

    await rm(join(have, 'conf.d/tls.conf'));
    await writeFile(join(have, 'conf.d/site.conf'), 'B');
    await tree(have, { 'conf.d/extra.conf': 'x' });
    expect(await check({ dir: have, desired_dir: want })).toEqual({ drift: 1, drift_files: 3 });
    expect(await treeDrift(have, want)).toEqual({ missing: ['conf.d/tls.conf'], extra: ['conf.d/extra.conf'], changed: ['conf.d/site.conf'] });
  });

  it('counts every desired file missing when the directory is gone; a missing desired_dir fails the check', async () => {
    const want = join(dir, 'want');
    await tree(want, { a: '1', 'b/c': '2' });
    expect(await check({ dir: join(dir, 'absent'), desired_dir: want })).toEqual({ drift: 1, drift_files: 2 });
    await expect(check({ dir: want, desired_dir: join(dir, 'absent') })).rejects.toThrow(/desired_dir .* does not exist/);
  });

  it('never follows a symlink out of the tree: links are compared by where they point, not by what they hold', async () => {
    const outside = join(dir, 'outside');
    await tree(outside, { secret: 'same bytes', other: 'same bytes' });
    const want = join(dir, 'want');
    const have = join(dir, 'have');
    await mkdir(want);
    await mkdir(have);
    await symlink(join(outside, 'secret'), join(want, 'link'));
    await symlink(join(outside, 'secret'), join(have, 'link'));
    expect(await check({ dir: have, desired_dir: want })).toEqual({ drift: 0, drift_files: 0 });

    // Same content behind the link, but another link: drifted.
    await rm(join(have, 'link'));
    await symlink(join(outside, 'other'), join(have, 'link'));
    expect(await treeDrift(have, want)).toEqual({ missing: [], extra: [], changed: ['link'] });

    // A link where a file should be is a change, even if the link leads to equal bytes.
    await rm(join(have, 'link'));
    await writeFile(join(want, 'plain'), 'same bytes');
    await symlink(join(outside, 'other'), join(have, 'plain'));
    await symlink(join(outside, 'secret'), join(have, 'link'));
    expect((await treeDrift(have, want)).changed).toEqual(['plain']);

    // A link to a directory outside is not walked into.
    await symlink(outside, join(have, 'escape'));
    expect((await treeDrift(have, want)).extra).toEqual(['escape']);
  });

  it('stops when the signal aborts', async () => {
    const want = join(dir, 'want');
    await tree(want, { a: '1' });
    const ac = new AbortController();
    ac.abort(new Error('probe timeout'));
    await expect(driftProbe.check!(ctx({ dir: want, desired_dir: want }, ac.signal))).rejects.toThrow(/probe timeout/);
  });
});

describe('drift probe params', () => {
  it('accepts the two forms and nothing in between', () => {
    const ok = (p: Record<string, unknown>): boolean => driftProbeParams.safeParse(p).success;
    expect(ok({ path: '/etc/a', desired_path: '/srv/a' })).toBe(true);
    expect(ok({ path: '/etc/a', desired_sha256: 'a'.repeat(64) })).toBe(true);
    expect(ok({ dir: '/etc/nginx', desired_dir: '/srv/nginx' })).toBe(true);
    expect(ok({ path: '/etc/a' })).toBe(false);
    expect(ok({ path: '/etc/a', desired_path: '/srv/a', desired_sha256: 'a'.repeat(64) })).toBe(false);
    expect(ok({ path: '/etc/a', desired_sha256: 'abc' })).toBe(false);
    expect(ok({ dir: '/etc/nginx' })).toBe(false);
    expect(ok({ dir: '/etc/nginx', desired_dir: '/srv', desired_path: '/srv/a' })).toBe(false);
    expect(ok({ path: '/etc/a', dir: '/etc', desired_dir: '/srv', desired_path: '/x' })).toBe(false);
    expect(ok({ path: 'relative', desired_path: '/srv/a' })).toBe(false);
  });
});
