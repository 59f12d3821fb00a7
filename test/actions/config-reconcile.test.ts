import { chmod, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configReconcileAction, diffLines, MAX_INLINE_BYTES, type ConfigReconcileParams } from '../../src/actions/config-reconcile.js';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { driftProbe, type DriftProbeParams } from '../../src/probes/drift.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medic-reconcile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function ctx(params: Record<string, unknown>, executionId = 'ex-1'): ActionContext<ConfigReconcileParams> {
  return {
    params: configReconcileAction.schema.parse(params),
    targetName: 'web',
    target: undefined,
    incident: null,
    executionId,
    clock: systemClock,
    signal: AbortSignal.timeout(20_000),
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
}

async function drift(path: string, desired: string): Promise<number> {
  const params = { path, desired_path: desired };
  const pctx = {
    probe: { name: 'conf', type: 'drift', target: 'web', intervalMs: 1000, timeoutMs: 1000, params },
    params: driftProbe.schema.parse(params),
    target: { name: 'web', labels: {}, process: null },
    clock: systemClock,
    signal: new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
  } satisfies ProbeContext<DriftProbeParams>;
  const samples = await driftProbe.check!(pctx);
  return samples.find((s) => s.name === 'drift')!.value;
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

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;
/** The reload program: appends one line per run, so the test can count reloads. */
const reloadArgv = (log: string, exitCode = 0): string[] => [
  process.execPath, '-e', `require("fs").appendFileSync(${JSON.stringify(log)}, "reload\\n"); process.exit(${exitCode})`,
];
const reloads = async (log: string): Promise<number> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

/** Bytes that are not valid UTF-8, so "byte for byte" cannot pass by accident of a text round trip. */
const DRIFTED = Buffer.concat([Buffer.from('worker_processes 8;\nlisten 8080;\n'), Buffer.from([0xff, 0xfe, 0x0a])]);
const DESIRED = 'worker_processes 4;\nlisten 80;\nserver_tokens off;\n';

describe('config.reconcile', () => {
  it('restores a drifted file (drift 1 → 0), and rollback puts the drifted bytes back', async () => {
    const path = join(dir, 'nginx.conf');
    const desired = join(dir, 'nginx.conf.desired');
    await writeFile(desired, DESIRED);
    await writeFile(path, DRIFTED, { mode: 0o640 });
    expect(await drift(path, desired)).toBe(1);

    const c = ctx({ path, desired_path: desired });
    const out = await configReconcileAction.execute(c);
    expect(await drift(path, desired)).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(DESIRED);
    expect(await modeOf(path)).toBe(0o640);
    expect(out.data).toMatchObject({ changed: true, added: 3, removed: 3, mode: '0640' });
    // No temp file left behind.
    expect((await readdir(dir)).sort()).toEqual(['nginx.conf', 'nginx.conf.desired']);

    const state = JSON.parse(JSON.stringify(out.rollbackState)) as unknown;
    const undone = await configReconcileAction.rollback!(c, state);
    expect(undone.summary).toContain('restored the previous content');
    expect((await readFile(path)).equals(DRIFTED)).toBe(true);
    expect(await modeOf(path)).toBe(0o640);
    expect(await drift(path, desired)).toBe(1);
  });

  it('plans a diff summary and writes nothing', async () => {
    const path = join(dir, 'app.conf');
    await writeFile(path, 'a\nb\nc\nd\n');
    await chmod(path, 0o644);
    const before = await stat(path);
    const plan = await configReconcileAction.plan(ctx({ path, desired_content: 'a\nB\nc\nd\ne\n', mode: '0600' }));
    expect(plan.summary).toBe(`rewrite ${path}: +2 −1 lines, mode 0644 → 0600`);
    expect(plan.details).toMatchObject({ changed: true, added: 2, removed: 1, diff: '@@ -2,3 +2,4 @@\n-b\n+B\n c\n d\n+e' });
    expect(await readFile(path, 'utf8')).toBe('a\nb\nc\nd\n');
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);

    const secret = await configReconcileAction.plan(ctx({ path, desired_content: 'password=x\n', sensitive: true }));
    expect(secret.details).toMatchObject({ diff: null, added: 1, removed: 4 });
    expect(JSON.stringify(secret)).not.toContain('password=x');
  });

  it('is a no-op when already as desired, but still reloads; its rollback changes nothing', async () => {
    const path = join(dir, 'app.conf');
    const log = join(dir, 'reloads.log');
    await writeFile(path, DESIRED);
    const c = ctx({ path, desired_content: DESIRED, reload_argv: reloadArgv(log) });
    const out = await configReconcileAction.execute(c);
    expect(out.summary).toContain('already as desired');
    expect(out.data).toMatchObject({ changed: false });
    expect(await reloads(log)).toBe(1);
    const undone = await configReconcileAction.rollback!(c, out.rollbackState);
    expect(undone.summary).toContain('nothing to undo');
    expect(await reloads(log)).toBe(1);
  });

  it('reloads after the write and again after the rollback', async () => {
    const path = join(dir, 'app.conf');
    const log = join(dir, 'reloads.log');
    await writeFile(path, 'old\n');
    const c = ctx({ path, desired_content: 'new\n', reload_argv: reloadArgv(log) });
    const out = await configReconcileAction.execute(c);
    expect(await reloads(log)).toBe(1);
    await configReconcileAction.rollback!(c, out.rollbackState);
    expect(await reloads(log)).toBe(2);
    expect(await readFile(path, 'utf8')).toBe('old\n');
  });

  it('fails the step on a failed reload, after putting the previous content back and reloading it', async () => {
    const path = join(dir, 'app.conf');
    const log = join(dir, 'reloads.log');
    await writeFile(path, DRIFTED);
    const err = await rejection(configReconcileAction.execute(ctx({ path, desired_content: DESIRED, reload_argv: reloadArgv(log, 1) })));
    expect(err.code).toBe('failed');
    expect(err.message).toContain('exit code 1');
    expect(err.message).toContain('put back: restored the previous content');
    expect((await readFile(path)).equals(DRIFTED)).toBe(true);
    // The failed reload, then the reload of the restored content.
    expect(await reloads(log)).toBe(2);
  });

  it('creates a missing file with the given mode, and its rollback removes it', async () => {
    const path = join(dir, 'new.conf');
    const c = ctx({ path, desired_content: 'x=1\n', mode: '0600' });
    const out = await configReconcileAction.execute(c);
    expect(await readFile(path, 'utf8')).toBe('x=1\n');
    expect(await modeOf(path)).toBe(0o600);
    await configReconcileAction.rollback!(c, out.rollbackState);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('keeps the previous content in backup_dir, and a re-run in the same execution keeps the original', async () => {
    const path = join(dir, 'app.conf');
    const backups = join(dir, 'backups');
    await writeFile(path, DRIFTED, { mode: 0o640 });
    const c = ctx({ path, desired_content: DESIRED, backup_dir: backups }, 'ex/42');
    const first = await configReconcileAction.execute(c);
    const files = await readdir(backups);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^app\.conf\.[0-9a-f]{8}\.ex_42\.m640\.bak$/);
    expect(await modeOf(join(backups, files[0]!))).toBe(0o600);
    expect(first.rollbackState).toMatchObject({ previous: { kind: 'backup', mode: 0o640 } });
    expect(JSON.stringify(first.rollbackState)).not.toContain(DRIFTED.toString('base64'));

    // Run again (a crash before the step was recorded): the file is desired now, the backup still holds the original.
    const again = await configReconcileAction.execute(c);
    expect(again.data).toMatchObject({ changed: false });
    expect(await readdir(backups)).toEqual(files);
    await configReconcileAction.rollback!(c, again.rollbackState);
    expect((await readFile(path)).equals(DRIFTED)).toBe(true);
    expect(await modeOf(path)).toBe(0o640);

    // A retry that finds the file changed again also keeps the original backup rather than the newer content.
    await writeFile(path, 'someone else\n');
    const retried = await configReconcileAction.execute(c);
    expect(await readdir(backups)).toEqual(files);
    await configReconcileAction.rollback!(c, retried.rollbackState);
    expect((await readFile(path)).equals(DRIFTED)).toBe(true);
  });

  it('refuses to replace a file too big to keep for rollback without backup_dir', async () => {
    const path = join(dir, 'big.conf');
    const big = Buffer.alloc(MAX_INLINE_BYTES + 1, 0x61);
    await writeFile(path, big);
    const err = await rejection(configReconcileAction.execute(ctx({ path, desired_content: 'small\n' })));
    expect(err.code).toBe('unsafe');
    expect(err.message).toContain('set backup_dir');
    expect((await readFile(path)).equals(big)).toBe(true);
  });

  it('writes through a symlink and leaves the link in place', async () => {
    const real = join(dir, 'sites-available.conf');
    const link = join(dir, 'sites-enabled.conf');
    await writeFile(real, 'old\n');
    await symlink(real, link);
    const c = ctx({ path: link, desired_content: 'new\n' });
    const out = await configReconcileAction.execute(c);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(real, 'utf8')).toBe('new\n');
    await configReconcileAction.rollback!(c, out.rollbackState);
    expect(await readFile(real, 'utf8')).toBe('old\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('refuses a directory where the file should be', async () => {
    const err = await rejection(configReconcileAction.execute(ctx({ path: dir, desired_content: 'x' })));
    expect(err.code).toBe('unsafe');
  });

  it('does not restore a kept copy that no longer matches its recorded digest', async () => {
    const path = join(dir, 'app.conf');
    await writeFile(path, 'old\n');
    const c = ctx({ path, desired_content: 'new\n' });
    const out = await configReconcileAction.execute(c);
    const state = out.rollbackState as { path: string; previous: { content_b64: string } };
    const tampered = { ...state, previous: { ...state.previous, content_b64: Buffer.from('evil\n').toString('base64') } };
    const err = await rejection(configReconcileAction.rollback!(c, tampered));
    expect(err.code).toBe('unsafe');
    expect(await readFile(path, 'utf8')).toBe('new\n');
    expect((await rejection(configReconcileAction.rollback!(c, null))).code).toBe('failed');
  });

  it('validates its params', () => {
    const ok = (p: Record<string, unknown>): boolean => configReconcileAction.schema.safeParse(p).success;
    expect(ok({ path: '/etc/a', desired_content: 'x' })).toBe(true);
    expect(ok({ path: '/etc/a', desired_path: '/srv/a', mode: '0o640' })).toBe(true);
    expect(ok({ path: '/etc/a' })).toBe(false);
    expect(ok({ path: '/etc/a', desired_content: 'x', desired_path: '/srv/a' })).toBe(false);
    // YAML's unquoted 0644 is the number 644: refused rather than written as mode 01204.
    expect(ok({ path: '/etc/a', desired_content: 'x', mode: 644 })).toBe(false);
    expect(ok({ path: '/etc/a', desired_content: 'x', mode: '0999' })).toBe(false);
    expect(ok({ path: 'etc/a', desired_content: 'x' })).toBe(false);
    expect(ok({ path: '/etc/a', desired_content: 'x', reload_argv: [] })).toBe(false);
    expect(configReconcileAction).toMatchObject({ type: 'config.reconcile', mutates: true, idempotent: true });
  });
});

describe('diffLines', () => {
  it('counts an exact line diff and falls back to counts for binary content', () => {
    expect(diffLines(Buffer.from('a\nb\n'), Buffer.from('a\nb\n'))).toEqual({ added: 0, removed: 0, preview: '' });
    expect(diffLines(Buffer.from('a\nb\nc\n'), Buffer.from('a\nc\nd\n'))).toMatchObject({ added: 1, removed: 1 });
    expect(diffLines(Buffer.from(''), Buffer.from('x\ny\n'))).toMatchObject({ added: 2, removed: 0, preview: '@@ -1,0 +1,2 @@\n+x\n+y' });
    expect(diffLines(Buffer.from('a'), Buffer.from('a\n')).preview).toContain('final newline');
    expect(diffLines(Buffer.from([0, 1]), Buffer.from([0, 2])).preview).toBe('binary content differs (2 → 2 bytes)');
  });
});
