import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as realTimeout } from 'node:timers';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { ActionError, errorMessage } from '../core/errors.js';

/**
 * The program runner, shared by every part that starts a program to completion (exec, tls.renew,
 * config.reconcile's reload): never through a shell, in a process group of its own, with output
 * capped. The exec action's comment says why each of these holds.
 */

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly truncated: boolean;
  readonly durationMs: number;
}

/** What a run needs of its caller: time, the abort, and a log for the stop. */
export interface ProgramScope {
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/**
 * Runs argv to completion. Rejects with ActionError 'timeout' or 'aborted'
 * after stopping the process group, or when the program cannot be started;
 * any exit, whatever its code, resolves.
 */
export async function runProgram(
  argv: readonly string[],
  opts: {
    readonly env: Readonly<Record<string, string>>;
    readonly cwd?: string | undefined;
    readonly timeout: number;
    readonly kill_grace: number;
    readonly max_output_bytes: number;
  },
  ctx: ProgramScope,
): Promise<RunResult> {
  if (ctx.signal.aborted) throw new ActionError('aborted', 'aborted before the program started', { retryable: false });
  if (opts.cwd !== undefined) {
    const isDir = await stat(opts.cwd).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new ActionError('invalid_params', `cwd ${opts.cwd} is not a directory`, { retryable: false });
  }
  const [program, ...args] = argv as [string, ...string[]];
  const capture = new OutputCapture(opts.max_output_bytes);
  const started = performance.now();

  return new Promise<RunResult>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, {
        shell: false,
        cwd: opts.cwd,
        env: opts.env,
        // A new process group (setsid), so the whole tree can be signalled at once.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      reject(new ActionError('invalid_params', `cannot start ${program}: ${errorMessage(err)}`, { retryable: false, cause: err }));
      return;
    }

    const timers = new AbortController();
    let stopping: 'timeout' | 'aborted' | null = null;
    let settled = false;

    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is gone already, or was never made (the platform has none): signal the child itself.
        child.kill(sig);
      }
    };
    const groupAlive = (): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    /** After a stop, the run ends when the group is gone (a signalled grandchild may still be exiting), or after 1 s. */
    const whenGroupGone = (then: () => void): void => {
      const deadline = performance.now() + 1000;
      const poll = (): void => {
        if (!groupAlive() || performance.now() >= deadline) then();
        else realTimeout(poll, 20).unref();
      };
      poll();
    };
    const stop = (why: 'timeout' | 'aborted'): void => {
      if (stopping || settled) return;
      stopping = why;
      ctx.log.warn({ program, why }, 'stopping program');
      signalGroup('SIGTERM');
      ctx.clock.sleep(opts.kill_grace, timers.signal).then(() => signalGroup('SIGKILL'), () => {});
    };
    // The executor aborts us on its step timeout too; say so, rather than "aborted".
    const onAbort = (): void => stop(isTimeoutReason(ctx.signal.reason) ? 'timeout' : 'aborted');
    const finish = (outcome: { ok: RunResult } | { err: ActionError }): void => {
      if (settled) return;
      settled = true;
      // A member of the group that ignored SIGTERM outlives the program: keep its SIGKILL armed.
      if (!stopping || !groupAlive()) timers.abort();
      ctx.signal.removeEventListener('abort', onAbort);
      if ('ok' in outcome) resolve(outcome.ok);
      else reject(outcome.err);
    };

    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ctx.clock.sleep(opts.timeout, timers.signal).then(() => stop('timeout'), () => {});

    child.stdout?.on('data', (chunk: Buffer) => capture.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => capture.push(chunk));

    child.on('error', (err: NodeJS.ErrnoException) => {
      // Only a failed start ends the run here; a failed kill() is reported through 'close' as usual.
      if (child.pid !== undefined) return;
      const code = err.code === 'ENOENT' ? 'not_found' : 'failed';
      finish({ err: new ActionError(code, `cannot start ${program}: ${err.code ?? err.message}`, { retryable: false, cause: err }) });
    });

    let drain: ReturnType<typeof realTimeout> | undefined;
    child.on('exit', () => {
      // A background process left in the group can hold our pipes open forever; do not wait on it for long.
      drain = realTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 1000).unref();
    });

    child.on('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(drain);
      const { text, truncated } = capture.result();
      const durationMs = Math.round(performance.now() - started);
      if (stopping === 'timeout') {
        const limit = ctx.signal.aborted ? 'the step timeout' : formatDuration(opts.timeout);
        const err = new ActionError('timeout', `${program}: timed out after ${limit} and was stopped${lastLines(text)}`);
        whenGroupGone(() => finish({ err }));
      } else if (stopping === 'aborted') {
        const err = new ActionError('aborted', `${program}: aborted and stopped${lastLines(text)}`, { retryable: false });
        whenGroupGone(() => finish({ err }));
      } else {
        finish({ ok: { exitCode, signal, output: text, truncated, durationMs } });
      }
    });
  });
}

/** Keeps the first and the last half of a stream that may be far longer than the cap. */
export class OutputCapture {
  private readonly headCap: number;
  private readonly tailCap: number;
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private total = 0;

  constructor(maxBytes: number) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headCap) {
      const take = Math.min(this.headCap - this.headLen, chunk.length);
      this.head.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailLen += chunk.length;
    while (this.tailLen > this.tailCap) {
      const first = this.tail[0]!;
      const excess = this.tailLen - this.tailCap;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLen -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailLen -= excess;
      }
    }
  }

  result(): { text: string; truncated: boolean; totalBytes: number } {
    const dropped = this.total - this.headLen - this.tailLen;
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (dropped === 0) return { text: head + tail, truncated: false, totalBytes: this.total };
    return { text: `${head}\n[... ${dropped} bytes of output dropped ...]\n${tail}`, truncated: true, totalBytes: this.total };
  }
}

/** An abort reason that says "time is up" (the executor's ActionError or AbortSignal.timeout's DOMException). */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason instanceof ActionError && reason.code === 'timeout') || (reason instanceof Error && reason.name === 'TimeoutError');
}

/** The end of the output, for an error message a person reads. */
export function lastLines(output: string, lines = 10, maxChars = 2000): string {
  const trimmed = output.trimEnd();
  if (trimmed === '') return '';
  const tail = trimmed.split('\n').slice(-lines).join('\n');
  return `\n${tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail}`;
}

/** argv as a person would type it; quoting is for reading only, nothing is ever run through a shell. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
