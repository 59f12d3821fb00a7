import { existsSync, readFileSync, watch } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActionContext, NotifierPort } from '../../src/actions/types.js';
import { execAction, type ExecParams } from '../../src/actions/exec.js';
import { displayArgv, OutputCapture } from '../../src/drivers/program.js';
import type { Clock } from '../../src/core/clock.js';
import { ActionError } from '../../src/core/errors.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medic-exec-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(dir, { recursive: true, force: true });
});

function ctx(params: Record<string, unknown>, opts: { clock?: Clock; signal?: AbortSignal } = {}): ActionContext<ExecParams> {
  return {
    params: execAction.schema.parse(params),
    targetName: 'demo',
    target: undefined,
    incident: null,
    executionId: 'ex-1',
    clock: opts.clock ?? systemClock,
    signal: opts.signal ?? new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
    notifier: { notify: () => {} } as NotifierPort,
  };
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

/** Resolves when `name` exists in `dir`: the child says it is ready without the test polling a clock. */
function appears(name: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(dir, () => {
      if (existsSync(join(dir, name))) {
        w.close();
        resolve();
      }
    });
    if (existsSync(join(dir, name))) {
      w.close();
      resolve();
    }
  });
}

/** Running, as opposed to gone or dead-but-not-yet-reaped (a zombie waits for whoever adopted it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function waitForSleeper(clock: FakeClock): Promise<void> {
  while (clock.pendingSleepers === 0) await new Promise((r) => setImmediate(r));
}

describe('exec action', () => {
  it('passes a hostile-looking argument literally, and no shell ever runs it', async () => {
    const hostile = ['x; touch pwned.txt', '$(touch pwned2.txt)', '`touch pwned3.txt`', '&& touch pwned4.txt', '|touch pwned5.txt'];
    const out = await execAction.execute(ctx({ argv: ['/bin/echo', ...hostile], cwd: dir }));
    expect(out.output).toBe(`${hostile.join(' ')}\n`);
    expect(await readdir(dir)).toEqual([]);
    expect(existsSync(join(dir, 'pwned.txt'))).toBe(false);
  });

  it('reports success with exit code and duration', async () => {
    const out = await execAction.execute(ctx({ argv: ['/bin/echo', 'hello'] }));
    expect(out.summary).toMatch(/^\/bin\/echo exited 0 in \d+ms$/);
    expect(out.data).toMatchObject({ exitCode: 0, truncated: false });
  });

  it('maps an unexpected exit code to a failure carrying the code and the last lines of output', async () => {
    const err = await rejection(execAction.execute(ctx({ argv: ['sh', '-c', 'echo one; echo two >&2; exit 3'] })));
    expect(err.code).toBe('failed');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/exit code 3 \(expected 0\)/);
    expect(err.message).toContain('one\ntwo');
  });

  it('accepts the exit codes listed in expect_exit', async () => {
    const out = await execAction.execute(ctx({ argv: ['sh', '-c', 'exit 3'], expect_exit: [0, 3] }));
    expect(out.data).toMatchObject({ exitCode: 3 });
  });

  it('reports death by a signal', async () => {
    const err = await rejection(execAction.execute(ctx({ argv: ['sh', '-c', 'kill -9 $$'] })));
    expect(err.message).toMatch(/killed by SIGKILL/);
  });

  it('reports a program that does not exist as not_found', async () => {
    const err = await rejection(execAction.execute(ctx({ argv: [join(dir, 'no-such-program')] })));
    expect(err.code).toBe('not_found');
  });

  it('refuses a cwd that is not a directory', async () => {
    await writeFile(join(dir, 'file'), '');
    const err = await rejection(execAction.execute(ctx({ argv: ['/bin/echo'], cwd: join(dir, 'file') })));
    expect(err.code).toBe('invalid_params');
  });

  it('kills the whole process group at the timeout', async () => {
    const clock = new FakeClock();
    // The shell starts a grandchild, writes its pid (atomically, by rename) and waits on it: both must die.
    const script = 'sleep 30 & echo $! > pid.tmp && mv pid.tmp pid; wait';
    const failure = rejection(execAction.execute(ctx({ argv: ['sh', '-c', script], cwd: dir, timeout: '1s' }, { clock })));
    await appears('pid');
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8'));
    expect(alive(pid)).toBe(true);
    await waitForSleeper(clock);
    await clock.advance(1000);
    const err = await failure;
    expect(err.code).toBe('timeout');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/timed out after 1s/);
    expect(alive(pid)).toBe(false);
  });

  it('sends SIGKILL after the grace when SIGTERM is ignored', async () => {
    const clock = new FakeClock();
    const running = execAction.execute(
      ctx({ argv: ['sh', '-c', 'trap "" TERM; touch ready; while :; do sleep 1; done'], cwd: dir, timeout: '1s', kill_grace: '5s' }, { clock }),
    );
    await appears('ready');
    await waitForSleeper(clock);
    let settled = false;
    const failure = rejection(running).finally(() => (settled = true));
    await clock.advance(1000); // timeout: SIGTERM, ignored
    expect(settled).toBe(false);
    await clock.advance(5000); // grace over: SIGKILL
    expect((await failure).code).toBe('timeout');
  });

  it('still sends SIGKILL at the grace to a grandchild that ignored SIGTERM after the program itself ended', async () => {
    const clock = new FakeClock();
    // The grandchild ignores TERM and lets go of the pipes; the shell dies at the TERM and the run ends.
    const script = `(trap "" TERM; exec sleep 30) >/dev/null 2>&1 & echo $! > pid.tmp && mv pid.tmp pid; wait`;
    const failure = rejection(execAction.execute(ctx({ argv: ['sh', '-c', script], cwd: dir, timeout: '1s', kill_grace: '5s' }, { clock })));
    await appears('pid');
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8'));
    await waitForSleeper(clock);
    await clock.advance(1000);
    expect((await failure).code).toBe('timeout');
    expect(alive(pid)).toBe(true);
    await clock.advance(5000);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5000, interval: 20 });
  });

  it('stops the program when the step is aborted', async () => {
    const abort = new AbortController();
    const running = execAction.execute(ctx({ argv: ['sh', '-c', 'touch ready; exec sleep 30'], cwd: dir }, { signal: abort.signal }));
    await appears('ready');
    abort.abort();
    const err = await rejection(running);
    expect(err.code).toBe('aborted');
    expect(err.retryable).toBe(false);
  });

  it('calls an abort for the step timeout a timeout', async () => {
    const abort = new AbortController();
    const running = execAction.execute(ctx({ argv: ['sh', '-c', 'touch ready; exec sleep 30'], cwd: dir }, { signal: abort.signal }));
    await appears('ready');
    abort.abort(new ActionError('timeout', 'timed out after 15000 ms'));
    const err = await rejection(running);
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(/the step timeout/);
  });

  it('does not start at all when already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const err = await rejection(execAction.execute(ctx({ argv: ['/bin/echo', 'no'] }, { signal: abort.signal })));
    expect(err.code).toBe('aborted');
  });

  it('caps the output, keeping its beginning and end and saying what was dropped', async () => {
    const script = 'process.stdout.write("BEGIN" + "a".repeat(200000)); process.stderr.write("b".repeat(100000) + "END")';
    const out = await execAction.execute(ctx({ argv: [process.execPath, '-e', script], max_output_bytes: 1024 }));
    expect(out.data).toMatchObject({ truncated: true });
    expect(out.output!.startsWith('BEGIN')).toBe(true);
    expect(out.output!.endsWith('END')).toBe(true);
    expect(out.output).toMatch(/\[\.\.\. 298984 bytes of output dropped \.\.\.\]/);
    expect(out.output!.length).toBeLessThan(1100);
  });

  it('gives the child the env it was given and only a short list of the engine’s own', async () => {
    vi.stubEnv('MEDIC_DATABASE_URL', 'postgres://medic:hunter2@db/medic');
    const out = await execAction.execute(ctx({ argv: ['/usr/bin/env'], env: { GREETING: 'hello world' } }));
    expect(out.output).toContain('GREETING=hello world\n');
    expect(out.output).toMatch(/^PATH=/m);
    expect(out.output).not.toContain('hunter2');
  });

  it('runs rollback_argv to roll back, and has nothing to undo without it', async () => {
    const c = ctx({ argv: ['/bin/echo', 'do'], rollback_argv: ['/bin/echo', 'undo'] });
    expect((await execAction.rollback!(c, undefined)).output).toBe('undo\n');
    expect((await execAction.rollback!(ctx({ argv: ['/bin/echo'] }), undefined)).summary).toMatch(/nothing to undo/);
  });

  it('plans without running, showing env names but not values', async () => {
    const plan = await execAction.plan(ctx({ argv: ['systemctl', 'restart', 'my unit'], env: { TOKEN: 's3cret' }, timeout: '45s' }));
    expect(plan.summary).toBe('run systemctl restart "my unit" (timeout 45s)');
    expect(JSON.stringify(plan.details)).not.toContain('s3cret');
    expect(plan.details).toMatchObject({ env: ['TOKEN'] });
  });

  it('is declared not idempotent and mutating', () => {
    expect(execAction.idempotent).toBe(false);
    expect(execAction.mutates).toBe(true);
  });

  it('validates params: an argv array, never a command string', () => {
    const bad = [{ argv: 'echo hi' }, { argv: [] }, { argv: [''] }, { argv: ['x\0y'] }, { argv: ['echo'], shell: true }, { argv: ['echo'], timeout: 'soon' }];
    for (const p of bad) expect(execAction.schema.safeParse(p).success).toBe(false);
    expect(execAction.schema.parse({ argv: ['echo'] })).toMatchObject({ timeout: 30_000, max_output_bytes: 65_536, expect_exit: [0] });
  });
});

describe('OutputCapture', () => {
  it('keeps everything under the cap', () => {
    const c = new OutputCapture(10);
    c.push(Buffer.from('abc'));
    c.push(Buffer.from('defghij'));
    expect(c.result()).toEqual({ text: 'abcdefghij', truncated: false, totalBytes: 10 });
  });

  it('keeps the head and the tail past the cap', () => {
    const c = new OutputCapture(10);
    for (const s of ['abc', 'defgh', 'ijklm', 'nopqrst']) c.push(Buffer.from(s));
    expect(c.result()).toEqual({ text: 'abcde\n[... 10 bytes of output dropped ...]\npqrst', truncated: true, totalBytes: 20 });
  });

  it('quotes only what needs quoting when showing argv', () => {
    expect(displayArgv(['ls', '-la', '/tmp/x y', 'a;b'])).toBe('ls -la "/tmp/x y" "a;b"');
  });
});
