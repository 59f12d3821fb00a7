import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { compileConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/drivers/log.js';
import { builtinProbes } from '../../src/probes/index.js';
import { openSqliteStore } from '../../src/store/database.js';
import { StoreLockedError } from '../../src/store/lock.js';

const TOKEN = 'medic_runtime_audit_test_token_0123456789';
const KEY = 'the-audit-key-of-this-test-0123456789abcdef';

/** The runtime `serve` runs, in process: the audit head over the API and the metrics, and the key kept out of both. */
describe('runtime: the signed audit head', () => {
  let dir: string;
  let rt: Runtime | undefined;
  let logs: string;
  const start = (checkpointEvery: number) => {
    const config = compileConfig(`server: { port: 0 }\naudit: { checkpoint_every: ${checkpointEvery} }\n`, join(dir, 'medic.yaml'), {
      probes: builtinProbes(), overrides: { dataDir: join(dir, 'data') },
    });
    const out = new PassThrough();
    out.on('data', (d: Buffer) => (logs += d.toString()));
    return startRuntime(config, { log: createLogger({ level: 'debug', destination: out }), bootstrapToken: TOKEN, auditKey: KEY });
  };
  const get = async (path: string) => {
    const res = await fetch(`${rt!.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.text();
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medic-rt-audit-'));
    logs = '';
  });
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('exports the head and its signed checkpoint at /api/v1/audit/verify and as metrics; signs again at shutdown', async () => {
    rt = await start(2);
    expect(rt.auditKey).toMatchObject({ source: 'MEDIC_AUDIT_KEY', created: false, id: expect.stringMatching(/^[0-9a-f]{12}$/) as string });
    expect(existsSync(join(dir, 'data', 'audit.key'))).toBe(false);
    // What the start wrote itself (the bootstrap token, ...), then enough to land on a checkpoint (every 2).
    const before = (JSON.parse(await get('/api/v1/audit/verify')) as { head: { seq: number } }).head.seq;
    const seq = before + (before % 2 === 0 ? 2 : 3);
    for (let i = before; i < seq; i++) await rt.engine.audit('setting', 'test', 'ok', { i }, 'tester');
    const verify = JSON.parse(await get('/api/v1/audit/verify')) as Record<string, unknown>;
    expect(verify).toEqual({
      ok: true, checked: seq, firstBad: null, signed: true, unsigned: 0,
      head: { seq, hash: expect.stringMatching(/^[0-9a-f]{64}$/) as string },
      checkpoint: { seq, hash: (verify['head'] as { hash: string }).hash, at: expect.any(Number) as number },
    });
    const metrics = await get('/metrics');
    expect(metrics).toMatch(new RegExp(`^medic_audit_head_seq ${seq}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^medic_audit_checkpoint_seq ${seq}$`, 'm'));

    // One more: no checkpoint until the next multiple of 2, or the shutdown.
    await rt.engine.audit('setting', 'test', 'ok', { i: seq }, 'tester');
    expect(await get('/metrics')).toMatch(new RegExp(`^medic_audit_checkpoint_seq ${seq}$`, 'm'));
    await rt.close();
    rt = undefined;
    // Shutdown signs the whole log, the engine's own last entries included.
    const store = await openSqliteStore({ dataDir: join(dir, 'data') });
    const last = await store.audit.head();
    await store.close();
    expect(last.seq).toBeGreaterThan(seq);
    expect(JSON.parse(readFileSync(join(dir, 'data', 'audit-head.json'), 'utf8'))).toMatchObject({ seq: last.seq, hash: last.hash });
    expect(logs).not.toContain(KEY);
  });

  it('refuses a second runtime on the same data directory while the first runs', async () => {
    rt = await start(100);
    await expect(start(100)).rejects.toBeInstanceOf(StoreLockedError);
    expect(JSON.parse(await get('/api/v1/audit/verify'))).toMatchObject({ ok: true });
  });
});
