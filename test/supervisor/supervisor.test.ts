import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionError } from '../../src/core/errors.js';
import type { ProcessSpec } from '../../src/config/types.js';
import { eventually, freePort, freePorts, harness, nextEvent, processSpec, target, TINY_SERVER } from './helpers.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function setup(spec: Partial<ProcessSpec> = {}, name = 'svc') {
  const basePort = spec.basePort ?? (await freePort());
  const h = harness({ [name]: target(name, processSpec({ basePort, ...spec })), other: target('other', null) });
  cleanups.push(h.cleanup);
  return { ...h, basePort, name };
}

async function get(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Supervisor', () => {
  it('supervises only targets with a process spec, and does nothing until started', async () => {
    const { supervisor, pids } = await setup();
    expect(supervisor.targets()).toEqual(['svc']);
    expect(supervisor.has('other')).toBe(false);
    expect(supervisor.status('svc')?.replicas[0]?.state).toBe('stopped');
    expect(pids.size).toBe(0);
    await expect(supervisor.start('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('spawns a replica, reports it ready, and logs its output', async () => {
    const { supervisor, basePort, dataDir } = await setup();
    const ready = nextEvent(supervisor, 'ready');
    await supervisor.start('svc');
    const e = await ready;
    const r = supervisor.status('svc')!.replicas[0]!;
    expect(r).toMatchObject({ index: 0, port: basePort, state: 'running', pid: e.pid, restarts: 0 });
    expect(await get(basePort)).toBe(200);
    const log = path.join(dataDir, 'logs', 'svc.0.log');
    await eventually(() => (existsSync(log) && readFileSync(log, 'utf8').includes(`listening on ${basePort}`) ? true : undefined), 'the log line');
  });

  it('emits exit (expected=false) from the exit itself, within milliseconds of a crash', async () => {
    const { supervisor } = await setup();
    await supervisor.start('svc');
    const { pid, port } = supervisor.status('svc')!.replicas[0]!;
    // An independent witness of the death: the kernel closes the process's sockets
    // when it dies, and our event loop sees that just like it sees the exit. Comparing
    // the two times measures the supervisor, not how busy the test machine is.
    const socket = connect(port!, '127.0.0.1');
    await once(socket, 'connect');
    // A kill may surface as ECONNRESET first; only the close matters here.
    socket.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    const exit = nextEvent(supervisor, 'exit').then((e) => ({ e, at: performance.now() }));
    process.kill(pid!, 'SIGKILL');
    const [{ e, at }, closedAt] = await Promise.all([exit, closed]);
    expect(e).toMatchObject({ target: 'svc', index: 0, pid, expected: false, signal: 'SIGKILL', code: null });
    expect(at - closedAt).toBeLessThan(25);
    const r = supervisor.status('svc')!.replicas[0]!;
    expect(r.state).toBe('crashed');
    expect(r.pid).toBeNull();
    expect(r.lastExit).toMatchObject({ expected: false, signal: 'SIGKILL' });
  });

  it('does not restart a crash by itself, and restarts a crashed replica when asked', async () => {
    const { supervisor, basePort } = await setup();
    await supervisor.start('svc');
    const pid = supervisor.status('svc')!.replicas[0]!.pid!;
    const exited = nextEvent(supervisor, 'exit');
    process.kill(pid, 'SIGKILL');
    await exited;
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('crashed');

    await supervisor.restart('svc');
    const r = supervisor.status('svc')!.replicas[0]!;
    expect(r).toMatchObject({ state: 'running', restarts: 1 });
    expect(r.pid).not.toBe(pid);
    expect(await get(basePort)).toBe(200);
  });

  it('restarts a running replica with an expected exit', async () => {
    const { supervisor } = await setup();
    await supervisor.start('svc');
    const pid = supervisor.status('svc')!.replicas[0]!.pid!;
    const exit = nextEvent(supervisor, 'exit');
    await supervisor.restart('svc', { index: 0 });
    expect(await exit).toMatchObject({ pid, expected: true });
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('running');
    await expect(supervisor.restart('svc', { index: 3 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('stops with SIGTERM, and SIGKILLs a process that ignores it once the grace is over', async () => {
    const stubborn = `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));\n${TINY_SERVER}`;
    const { supervisor, dataDir } = await setup({ args: ['-e', stubborn], graceMs: 300 });
    await supervisor.start('svc');
    const pid = supervisor.status('svc')!.replicas[0]!.pid!;
    const exit = nextEvent(supervisor, 'exit');
    const t0 = performance.now();
    await supervisor.stop('svc');
    const took = performance.now() - t0;
    expect(await exit).toMatchObject({ pid, expected: true, signal: 'SIGKILL' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(alive(pid)).toBe(false);
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('stopped');
    const log = path.join(dataDir, 'logs', 'svc.0.log');
    await eventually(() => (readFileSync(log, 'utf8').includes('ignoring SIGTERM') ? true : undefined), 'the SIGTERM to be seen');
  });

  it('stops a well-behaved process with SIGTERM alone, and stop is safe twice', async () => {
    const { supervisor } = await setup({ graceMs: 5000 });
    await supervisor.start('svc');
    const exit = nextEvent(supervisor, 'exit');
    await supervisor.stop('svc');
    // Gone by SIGTERM: it never waited out the 5 s grace for a SIGKILL (no wall-clock bound needed).
    expect(await exit).toMatchObject({ signal: 'SIGTERM', expected: true });
    await supervisor.stop('svc');
  });

  it('scales up onto consecutive ports and down from the highest replica', async () => {
    const [base] = await freePorts(3);
    const { supervisor } = await setup({ basePort: base! });
    await supervisor.start('svc');
    expect(await supervisor.scale('svc', 3)).toEqual({ previous: 1, current: 3 });
    const up = supervisor.status('svc')!;
    expect(up.desired).toBe(3);
    expect(up.replicas.map((r) => [r.port, r.state])).toEqual([[base, 'running'], [base! + 1, 'running'], [base! + 2, 'running']]);
    for (const r of up.replicas) expect(await get(r.port!)).toBe(200);

    const exits: number[] = [];
    supervisor.on('exit', (e) => exits.push(e.index));
    expect(await supervisor.scale('svc', 1)).toEqual({ previous: 3, current: 1 });
    const down = supervisor.status('svc')!;
    expect(down.replicas.map((r) => r.index)).toEqual([0]);
    expect(down.replicas[0]!.pid).toBe(up.replicas[0]!.pid);
    expect(exits.sort()).toEqual([1, 2]);
    expect(alive(up.replicas[2]!.pid!)).toBe(false);

    await expect(supervisor.scale('svc', 0)).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(supervisor.scale('svc', 5)).rejects.toMatchObject({ code: 'invalid_params' });
  });

  it('caps the log file and keeps one rotated file', async () => {
    const chatty = `for (let i = 0; i < 200; i++) console.log(String(i).padStart(4, '0') + 'x'.repeat(95));\nconsole.log('DONE');\n${TINY_SERVER}`;
    const { supervisor, dataDir } = await setup({ args: ['-e', chatty], logMaxBytes: 2000 });
    await supervisor.start('svc');
    const log = path.join(dataDir, 'logs', 'svc.0.log');
    await eventually(() => (existsSync(log) && readFileSync(log, 'utf8').includes('listening') ? true : undefined), 'the last line');
    expect(statSync(log).size).toBeLessThanOrEqual(2000);
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(2000);
    const kept = readFileSync(`${log}.1`, 'utf8') + readFileSync(log, 'utf8');
    // The newest output survives, the oldest is gone.
    expect(kept).toMatch(/0199x+\nDONE\nlistening/);
    expect(kept).not.toContain('0000xxx');
  });

  it('retries a process that dies at start with growing delays, then fails clearly', async () => {
    const { supervisor } = await setup({ args: ['-e', 'process.exit(3)'], restartBackoff: { initialMs: 50, maxMs: 1000, attempts: 2 } });
    const spawns: number[] = [];
    supervisor.on('spawn', (e) => spawns.push(e.at));
    const err = await supervisor.start('svc').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect(err).toMatchObject({ code: 'failed', retryable: false });
    expect((err as Error).message).toMatch(/svc\[0\] exited with code 3 before it was ready; gave up after 3 attempts/);
    expect(spawns).toHaveLength(3);
    // 50 ms, then 100 ms (timestamps are ms; allow a little timer slack).
    expect(spawns[1]! - spawns[0]!).toBeGreaterThanOrEqual(45);
    expect(spawns[2]! - spawns[1]!).toBeGreaterThanOrEqual(95);
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('crashed');
  });

  it('fails a start whose readiness never comes with a timeout, leaving nothing running', async () => {
    const { supervisor, pids } = await setup({
      args: ['-e', 'setInterval(() => {}, 1000)'],
      ready: { url: 'http://127.0.0.1:{{port}}/', timeoutMs: 300, intervalMs: 10 },
    });
    await expect(supervisor.start('svc')).rejects.toMatchObject({ code: 'timeout' });
    const [pid] = [...pids];
    expect(alive(pid!)).toBe(false);
    expect(supervisor.status('svc')!.replicas[0]!.pid).toBeNull();
  });

  it('reports a command that cannot be spawned', async () => {
    const { supervisor } = await setup({ command: '/nonexistent/medic-test-binary', restartBackoff: { initialMs: 10, maxMs: 10, attempts: 1 } });
    await expect(supervisor.start('svc')).rejects.toThrow(/failed to spawn \(.*ENOENT/);
  });

  it('honours an abort during start and leaves nothing behind', async () => {
    const { supervisor, pids } = await setup({
      args: ['-e', 'setInterval(() => {}, 1000)'],
      ready: { url: 'http://127.0.0.1:{{port}}/', timeoutMs: 10_000, intervalMs: 10 },
    });
    const ac = new AbortController();
    const spawned = nextEvent(supervisor, 'spawn');
    const start = supervisor.start('svc', { signal: ac.signal });
    await spawned;
    ac.abort();
    await expect(start).rejects.toMatchObject({ code: 'aborted' });
    await eventually(() => (supervisor.status('svc')!.replicas[0]!.state === 'stopped' ? true : undefined), 'the replica to stop');
    expect(alive([...pids][0]!)).toBe(false);
  });

  it('keeps working when a listener throws', async () => {
    const { supervisor } = await setup();
    supervisor.on('ready', () => {
      throw new Error('boom');
    });
    supervisor.on('spawn', async () => {
      throw new Error('async boom');
    });
    const ready = nextEvent(supervisor, 'ready');
    await supervisor.start('svc');
    await ready;
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('running');
  });

  it('renders {{port}} and {{replica}} into args and env', async () => {
    const echo = `console.log('R=' + process.env.R + ' A=' + process.argv[1]);\n${TINY_SERVER}`;
    const { supervisor, dataDir, basePort } = await setup({ args: ['-e', echo, 'p{{ port }}'], env: { PORT: '{{port}}', R: 'r{{replica}}' } });
    await supervisor.start('svc');
    const log = path.join(dataDir, 'logs', 'svc.0.log');
    await eventually(() => (readFileSync(log, 'utf8').includes(`R=r0 A=p${basePort}`) ? true : undefined), 'rendered values');
  });

  it('stops everything on close, is safe twice, and refuses new starts', async () => {
    const { supervisor } = await setup();
    await supervisor.start('svc');
    const pid = supervisor.status('svc')!.replicas[0]!.pid!;
    await Promise.all([supervisor.close(), supervisor.close()]);
    expect(alive(pid)).toBe(false);
    await expect(supervisor.start('svc')).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('a supervised child\'s environment', () => {
  it('has none of the engine\'s secrets (MEDIC_*), but PATH and its own configured env', async () => {
    const saved = { boot: process.env['MEDIC_BOOTSTRAP_TOKEN'], token: process.env['MEDIC_TOKEN'] };
    process.env['MEDIC_BOOTSTRAP_TOKEN'] = 'bootstrap-secret-0123456789abcdef';
    process.env['MEDIC_TOKEN'] = 'medic_superadmin-secret';
    try {
      const outDir = mkdtempSync(path.join(tmpdir(), 'medic-child-env-'));
      cleanups.push(async () => rmSync(outDir, { recursive: true, force: true }));
      const out = path.join(outDir, 'env.json');
      const { supervisor } = await setup({
        args: ['-e', `require('node:fs').writeFileSync(process.env.ENV_OUT, JSON.stringify(process.env));\n${TINY_SERVER}`],
        env: { PORT: '{{port}}', ENV_OUT: out, GREETING: 'hello' },
      });
      await supervisor.start('svc');
      const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
      expect(Object.keys(env).filter((k) => k.startsWith('MEDIC_'))).toEqual([]);
      expect(JSON.stringify(env)).not.toContain('secret');
      expect(env['PATH']).toBe(process.env['PATH']);
      expect(env).toMatchObject({ GREETING: 'hello', ENV_OUT: out });
    } finally {
      for (const [k, v] of [['MEDIC_BOOTSTRAP_TOKEN', saved.boot], ['MEDIC_TOKEN', saved.token]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
