import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ProcessSpec, TargetConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { SupervisorEvents } from '../../src/supervisor/types.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_JS = path.join(ROOT, 'dist/demo/server.js');
const DEMO_TS = path.join(ROOT, 'demo/server.ts');

/** A tiny HTTP server for `node -e`: answers everything with 200 and says so on stdout. */
export const TINY_SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
`;

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/** `n` consecutive free ports, for replica groups (replica i listens on base + i). */
export async function freePorts(n: number): Promise<number[]> {
  for (let tries = 0; tries < 50; tries++) {
    const held = [await listen(0)];
    const base = held[0]!.port;
    let ok = true;
    for (let i = 1; i < n && ok; i++) {
      try {
        held.push(await listen(base + i));
      } catch {
        ok = false;
      }
    }
    await Promise.all(held.map((h) => h.close()));
    if (ok) return Array.from({ length: n }, (_, i) => base + i);
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

function listen(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ port: actual, close: () => new Promise((r) => srv.close(() => r())) });
    });
  });
}

export function processSpec(overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    command: 'node',
    args: ['-e', TINY_SERVER],
    cwd: ROOT,
    env: { PORT: '{{port}}' },
    basePort: null,
    replicas: 1,
    maxReplicas: 4,
    maxUnavailable: 1,
    ready: { url: 'http://127.0.0.1:{{port}}/', timeoutMs: 10_000, intervalMs: 10 },
    graceMs: 2000,
    logMaxBytes: 1024 * 1024,
    restartBackoff: { initialMs: 20, maxMs: 200, attempts: 2 },
    ...overrides,
  };
}

export function target(name: string, spec: ProcessSpec | null): TargetConfig {
  return { name, labels: {}, process: spec };
}

/** The demo service as medic.yaml supervises it, on ports chosen by the caller. */
export function demoSpec(basePort: number, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return processSpec({
    args: [DEMO_JS],
    basePort,
    ready: { url: 'http://127.0.0.1:{{port}}/health', timeoutMs: 10_000, intervalMs: 10 },
    ...overrides,
  });
}

/**
 * A supervisor over a fresh data directory, plus a cleanup that closes it and
 * then SIGKILLs every pid it ever spawned, so no test leaks a process even
 * when the supervisor itself misbehaves.
 */
export function harness(targets: Record<string, TargetConfig>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'medic-sup-'));
  const supervisor = new Supervisor({ targets, dataDir, clock: systemClock, log: silentLogger });
  const pids = new Set<number>();
  supervisor.on('spawn', (e) => pids.add(e.pid));
  const cleanup = async () => {
    await supervisor.close();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: the normal case.
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { supervisor, dataDir, pids, cleanup };
}

/** The next event of a kind that matches, or a rejection after `timeoutMs`. */
export function nextEvent<K extends keyof SupervisorEvents>(
  supervisor: Supervisor,
  event: K,
  match: (e: SupervisorEvents[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<SupervisorEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${event}' event within ${timeoutMs}ms`));
    }, timeoutMs);
    const off = supervisor.on(event, (e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** Polls `fn` until it returns something other than undefined, or fails at the deadline. */
export async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const pexec = promisify(execFile);

function demoFresh(): boolean {
  try {
    return statSync(DEMO_JS).mtimeMs >= statSync(DEMO_TS).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Builds dist/demo/server.js when it is missing or older than its source.
 * Test files run in parallel workers, so a lock directory makes sure only one
 * tsc writes dist/ while the others wait for it.
 */
export async function ensureDemoBuilt(): Promise<string> {
  if (demoFresh()) return DEMO_JS;
  const lock = path.join(ROOT, 'dist', '.demo-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (demoFresh()) return DEMO_JS;
      if (Date.now() > deadline) {
        rmdirSync(lock);
        continue;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (!demoFresh()) {
      // Other folders may be mid-change and fail to type-check; tsc still emits, and the check below is what counts.
      await pexec(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
    }
  } finally {
    rmdirSync(lock);
  }
  if (!demoFresh()) throw new Error(`building ${DEMO_JS} failed`);
  return DEMO_JS;
}
