import { z } from 'zod';
import { durationParam as duration } from '../core/param-schemas.js';
import { displayArgv, lastLines, runProgram } from '../drivers/program.js';
import { inheritedEnv } from '../drivers/env.js';
import { formatDuration } from '../core/duration.js';
import { ActionError } from '../core/errors.js';
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
