import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessSpec } from '../../src/config/types.js';
import { parseListening } from '../../src/supervisor/port-holder.js';
import { eventually, freePort, harness, nextEvent, processSpec, target, TINY_SERVER } from './helpers.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function setup(spec: Partial<ProcessSpec>) {
  const h = harness({ svc: target('svc', processSpec(spec)) });
  cleanups.push(h.cleanup);
  return h;
}

/** Someone else on the port: an HTTP server that answers 200 to anything, as the process that already holds it would. */
async function holdPort(port = 0): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => res.end('not yours'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, server };
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'medic-groups-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Dead, or a zombie nobody reaps (in a container PID 1 may not): either way it holds nothing and runs nothing. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function killLater(pid: number): void {
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already: what the test wanted.
    }
  });
}

async function pidIn(file: string): Promise<number> {
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  return eventually(() => (read() !== '' ? Number(read()) : undefined), `a pid in ${file}`);
}

describe('a port that another process holds', () => {
  it('fails the start, naming the port and the holder, and starts nothing', async () => {
    const { port } = await holdPort();
    const { supervisor, pids } = setup({ basePort: port });
    const err = await supervisor.start('svc').then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'failed', retryable: false });
    const message = (err as Error).message;
    expect(message).toContain(`svc[0]: port ${port} is already in use`);
    // The holder here is this test's own process; /proc names it.
    expect(message).toMatch(new RegExp(`held by pid ${process.pid} \\(node`));
    expect(pids.size).toBe(0);
    expect(supervisor.status('svc')!.replicas[0]).toMatchObject({ state: 'crashed', pid: null });
  });

  it('fails a restart onto a port that was taken while the service was down', async () => {
    const port = await freePort();
    const { supervisor } = setup({ basePort: port });
    await supervisor.start('svc');
    const exited = nextEvent(supervisor, 'exit');
    supervisor.kill('svc', 'SIGKILL');
    await exited;
    // The port is free the moment the kernel has closed the dead process's socket; take it then.
    await eventually(() => holdPort(port).then(() => true, () => undefined), 'the port to be taken');
    await expect(supervisor.restart('svc')).rejects.toThrow(`svc[0]: port ${port} is already in use (held by pid ${process.pid}`);
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('crashed');
  });

  it('does not count a 2xx from a process outside the group as ready', async () => {
    const port = await freePort();
    const dir = tempDir();
    const pidFile = path.join(dir, 'intruder.pid');
    // The service hands its port to a detached process (its own group) and never listens itself:
    // readiness is answered, but not by the service.
    const intruder = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    const service = `
      const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(intruder)}], { detached: true, stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
      setInterval(() => {}, 1000);`;
    const { supervisor, pids } = setup({ basePort: port, args: ['-e', service] });
    const start = supervisor.start('svc').then(() => null, (e: unknown) => e);
    const intruderPid = await pidIn(pidFile);
    killLater(intruderPid);
    const err = await start;
    const answered = `readiness on port ${port} was answered by another process \\(held by pid ${intruderPid}\\b`;
    expect((err as Error | null)?.message).toMatch(new RegExp(`${answered}.*not started`));
    expect(gone([...pids][0]!)).toBe(true);
    expect(supervisor.status('svc')!.replicas[0]!.state).toBe('crashed');
  });
});

describe('a supervised process and what it started', () => {
  /** A service that starts a helper (same group, as any child does) and writes the helper's pid down. */
  async function withHelper() {
    const port = await freePort();
    const dir = tempDir();
    const helperFile = path.join(dir, 'helper.pid');
    const service = `
      const fs = require('node:fs');
      const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      fs.writeFileSync(${JSON.stringify(helperFile)} + '.tmp', String(c.pid));
      fs.renameSync(${JSON.stringify(helperFile)} + '.tmp', ${JSON.stringify(helperFile)});
      ${TINY_SERVER}`;
    const h = setup({ basePort: port, args: ['-e', service], graceMs: 2000 });
    const helper = async () => {
      const pid = await pidIn(helperFile);
      killLater(pid);
      return pid;
    };
    return { ...h, helperFile, helper };
  }

  it('ends the helper with its service on a restart, and the new service has a new helper', async () => {
    const { supervisor, helperFile, helper } = await withHelper();
    await supervisor.start('svc');
    const first = await helper();
    rmSync(helperFile);
    await supervisor.restart('svc');
    await eventually(() => (gone(first) ? true : undefined), `helper ${first} to end with its group`, 3000);
    const second = await helper();
    expect(second).not.toBe(first);
    expect(gone(second)).toBe(false);
  });

  it('ends the helper on a stop, and when the service itself dies', async () => {
    const { supervisor, helperFile, helper } = await withHelper();
    await supervisor.start('svc');
    const first = await helper();
    await supervisor.stop('svc');
    await eventually(() => (gone(first) ? true : undefined), `helper ${first} to end on stop`, 3000);

    rmSync(helperFile);
    await supervisor.start('svc');
    const second = await helper();
    const exited = nextEvent(supervisor, 'exit');
    process.kill(supervisor.status('svc')!.replicas[0]!.pid!, 'SIGKILL');
    await exited;
    await eventually(() => (gone(second) ? true : undefined), `helper ${second} to end with its crashed service`, 3000);
  });
});

describe('reading /proc/net/tcp', () => {
  it('finds the inodes of sockets listening on a port, and nothing else', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0 100 0 0 10 0',
      '   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 4712 1 0 20 4 30 10 -1',
      '   2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4713 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseListening(table, 8080)).toEqual(['4711']);
    expect(parseListening(table, 8081)).toEqual(['4713']);
    expect(parseListening(table, 9999)).toEqual([]);
  });
});
