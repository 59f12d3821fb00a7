import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli, stopChild } from '../support/cli.js';

const SERVING = /serving on (http:\/\/[\d.:]+)/;
/** Per process start: a node start takes seconds on a loaded machine. */
const LIMIT = 60_000;

describe('one engine per store (real processes)', () => {
  let dir: string;
  let config: string;
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-lock-'));
    dataDir = join(dir, 'data');
    config = join(dir, 'medic.yaml');
    writeFileSync(config, `server:\n  port: 0\nstorage:\n  data_dir: ${JSON.stringify(dataDir)}\n`);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second serve naming the lock and its holder; after a kill -9 of the first a new one starts', async () => {
    const first = await startCli(['serve', '--config', config], SERVING, { timeoutMs: LIMIT });
    children.push(first.child);

    const second = await runCli(['serve', '--config', config], { timeoutMs: LIMIT });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`medic: the store is locked by another engine: ${join(dataDir, 'medic.lock')} is held by pid ${first.child.pid} on ${hostname()}`);
    expect(second.stdout).not.toMatch(SERVING);
    // So is a demo on the same data directory.
    const demo = await runCli(['demo', '--port', '0', '--demo-port', '0', '--data-dir', dataDir, '--no-traffic'], { timeoutMs: LIMIT });
    expect(demo.code).not.toBe(0);
    expect(demo.stderr).toContain('the store is locked by another engine');
    // Readers of the store keep working while the engine holds it.
    const verify = await runCli(['audit', 'verify', '--data-dir', dataDir], { timeoutMs: LIMIT });
    expect(verify.stdout + verify.stderr).toMatch(/audit chain intact: \d+ entries verified, signatures valid/);
    expect(verify.code).toBe(0);
    const exported = await runCli(['signals', 'export', '--data-dir', dataDir], { timeoutMs: LIMIT });
    expect(exported.code, exported.stderr).toBe(0);
    // A crash cannot leave the lock behind: the kernel drops it with the process.
    const gone = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await gone;
    const third = await startCli(['serve', '--config', config], SERVING, { timeoutMs: LIMIT });
    children.push(third.child);
    expect((await fetch(`${third.match[1]}/healthz`)).status).toBe(200);
  }, 5 * LIMIT);
});
