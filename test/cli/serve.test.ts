import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCli, stopChild } from '../support/cli.js';

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
});

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer().once('error', rej).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}
