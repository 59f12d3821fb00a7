import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli, stopChild } from '../support/cli.js';

describe('medic serve: port and data directory', () => {
  let dir: string;
  let config: string;
  let stop: (() => Promise<unknown>) | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-serve-'));
    config = join(dir, 'medic.yaml');
    writeFileSync(config, 'server:\n  port: 1\nstorage:\n  data_dir: ./from-file\n');
  });
  afterEach(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes MEDIC_PORT and MEDIC_DATA_DIR over the file, and the flags over both', async () => {
    const envPort = await freePort();
    const flagPort = await freePort();
    const env = { MEDIC_PORT: String(envPort), MEDIC_DATA_DIR: join(dir, 'from-env') };

    const a = await startCli(['serve', '--config', config], /serving on (http:\/\/[\d.:]+)/, { env });
    stop = () => stopChild(a.child);
    expect(a.match[1]).toBe(`http://127.0.0.1:${envPort}`);
    expect(await (await fetch(`${a.match[1]}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(existsSync(join(dir, 'from-env', 'medic.db'))).toBe(true);
    await stopChild(a.child);

    const b = await startCli(['serve', '--config', config, '--port', String(flagPort), '--data-dir', join(dir, 'from-flag')],
      /serving on (http:\/\/[\d.:]+)/, { env });
    stop = () => stopChild(b.child);
    expect(b.match[1]).toBe(`http://127.0.0.1:${flagPort}`);
    expect(existsSync(join(dir, 'from-flag', 'medic.db'))).toBe(true);
    expect(existsSync(join(dir, 'from-file'))).toBe(false);
  });

  it('makes MEDIC_BOOTSTRAP_TOKEN a superadmin token on a fresh store, and the CLI works with it', async () => {
    const secret = 'medic_bootstrap_for_the_serve_test_0123456789';
    const env = { MEDIC_PORT: '0', MEDIC_DATA_DIR: join(dir, 'data') };
    const bare = await startCli(['serve', '--config', config], /no API tokens yet: restart with MEDIC_BOOTSTRAP_TOKEN/, { env });
    await stopChild(bare.child);

    const a = await startCli(['serve', '--config', config], /serving on (http:\/\/[\d.:]+)/, { env: { ...env, MEDIC_BOOTSTRAP_TOKEN: secret } });
    stop = () => stopChild(a.child);
    const url = a.match[1]!;
    const who = await fetch(`${url}/api/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } });
    expect(await who.json()).toEqual({ name: 'bootstrap', role: 'superadmin', expiresAt: null });
    expect((await fetch(`${url}/api/v1/whoami`)).status).toBe(401);
    const made = await runCli(['token', 'create', 'ops', '--role', 'operator', '--url', url], { env: { MEDIC_TOKEN: secret } });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/token tok_\w+ "ops" \(operator\):\nmedic_[\w-]{43}\nkeep it now/);
    const listed = await runCli(['token', 'list', '--url', url], { env: { MEDIC_TOKEN: secret } });
    expect(listed.stdout).toMatch(/bootstrap\s+superadmin\s+active/);
    expect(listed.stdout).toMatch(/ops\s+operator\s+active/);
    expect(listed.stdout).not.toContain('medic_');
  });
});

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer().once('error', rej).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}
