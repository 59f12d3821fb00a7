import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free loopback port: listen on 0, read it, let it go (for programs that cannot report the port they got). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after 3 s; by PID, safe twice. */
  stop(): Promise<void>;
}

/** Starts a program with its output in a log file (read it when a test fails). */
export function startProgram(cmd: string, args: readonly string[], opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string }): Started {
  const out = createWriteStream(opts.log);
  const child = spawn(cmd, [...args], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it holds; throws with `what` after `timeoutMs` (end-to-end tests: real time). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 200): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const PROMETHEUS = '/usr/bin/prometheus';
export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
export const PROMTOOL = '/usr/bin/promtool';

/** Skips locally when the Prometheus programs are not installed; under CI they must be. */
export function havePrometheus(): boolean {
  const ok = [PROMETHEUS, ALERTMANAGER, PROMTOOL].every((p) => existsSync(p));
  if (!ok && process.env['CI'] === 'true') throw new Error('prometheus, prometheus-alertmanager and promtool must be installed in CI (.ci/run)');
  return ok;
}
