import { durationParam as duration } from './params.js';
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as realTimeout } from 'node:timers';
import { z } from 'zod';
import { inheritedEnv } from '../drivers/env.js';
import { formatDuration } from '../core/duration.js';
import { ActionError, errorMessage } from '../core/errors.js';
import type { ActionContext, ActionOutcome, ActionPlugin } from './types.js';

/**
 * exec: run a program from an argv array. Never through a shell and never by
 * joining strings: template values that came from an alert are untrusted, and
 * as separate argv elements they can only ever be arguments, never commands.
 *
 * The child gets its own process group so that a timeout or an abort can stop
 * everything it started (SIGTERM to the group, then SIGKILL after a grace).
 * Output (stdout and stderr interleaved) is kept up to max_output_bytes: the
 * beginning and the end, which is where the useful lines usually are.
 */


const NO_NUL = /^[^\0]*$/;
const argvSchema = z
  .array(z.string().regex(NO_NUL, 'must not contain NUL bytes'))
  .min(1)
  .refine((a) => a[0] !== '', 'the program (argv[0]) must not be empty');

export const execParams = z.strictObject({
  argv: argvSchema,
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'), z.string().regex(NO_NUL)).default({}),
  cwd: z.string().min(1).optional(),
  timeout: duration('30s'),
  /** Between SIGTERM and SIGKILL when the program has to be stopped. */
  kill_grace: duration('2s'),
  max_output_bytes: z.number().int().min(64).default(64 * 1024),
  expect_exit: z.array(z.number().int().min(0).max(255)).min(1).default([0]),
  rollback_argv: argvSchema.optional(),
});
export type ExecParams = z.output<typeof execParams>;

export interface ExecActionOptions {
  /** The environment every child starts from; defaults to INHERITED_ENV taken from this process. */
  readonly baseEnv?: () => Readonly<Record<string, string>>;
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly truncated: boolean;
  readonly durationMs: number;
}

export function createExecAction(opts: ExecActionOptions = {}): ActionPlugin<ExecParams> {
  const baseEnv = opts.baseEnv ?? inheritedEnv;

  const runChecked = async (ctx: ActionContext<ExecParams>, argv: readonly string[]): Promise<ActionOutcome> => {
    const p = ctx.params;
    const result = await runProgram(argv, { ...p, env: { ...baseEnv(), ...p.env } }, ctx);
    const data = { exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs, truncated: result.truncated };
    if (result.exitCode === null || !p.expect_exit.includes(result.exitCode)) {
      const how = result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit code ${result.exitCode} (expected ${p.expect_exit.join(' or ')})`;
      throw new ActionError('failed', `${argv[0]}: ${how}${lastLines(result.output)}`, { retryable: false, cause: data });
    }
    return {
      summary: `${argv[0]} exited ${result.exitCode} in ${formatDuration(result.durationMs)}`,
      output: result.output,
      data,
    };
  };

  return {
    type: 'exec',
    schema: execParams,
    // A program's effects are unknown: running it twice is not assumed safe.
    idempotent: false,
    mutates: true,
    async plan(ctx) {
      const p = ctx.params;
      return {
        summary: `run ${displayArgv(p.argv)}${p.cwd ? ` in ${p.cwd}` : ''} (timeout ${formatDuration(p.timeout)})`,
        details: {
          argv: p.argv,
          cwd: p.cwd ?? null,
          // Values may be secrets; the names are enough to review.
          env: Object.keys(p.env),
          timeoutMs: p.timeout,
          expectExit: p.expect_exit,
          rollback: p.rollback_argv ?? null,
        },
      };
    },
    async execute(ctx) {
      return runChecked(ctx, ctx.params.argv);
    },
    async rollback(ctx) {
      const undo = ctx.params.rollback_argv;
      if (!undo) return { summary: 'no rollback_argv given: nothing to undo', undone: false };
      return runChecked(ctx, undo);
    },
  };
}

export const execAction = createExecAction();


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
  ctx: Pick<ActionContext<unknown>, 'clock' | 'signal' | 'log'>,
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
      timers.abort();
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
        finish({ err: new ActionError('timeout', `${program}: timed out after ${limit} and was stopped${lastLines(text)}`) });
      } else if (stopping === 'aborted') {
        finish({ err: new ActionError('aborted', `${program}: aborted and stopped${lastLines(text)}`, { retryable: false }) });
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
