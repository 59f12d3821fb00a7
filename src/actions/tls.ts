import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { ActionError, errorMessage, toActionError } from '../core/errors.js';
import {
  certLocationShape, certSource, checkCertLocation, daysLeft, describeSource, readCertificate,
  type CertReading, type CertSource,
} from '../probes/tls.js';
import { inheritedEnv } from '../drivers/env.js';
import { displayArgv, lastLines, runProgram, type ExecActionOptions } from './exec.js';
import { durationParam as duration } from './params.js';
import type { ActionContext, ActionPlugin } from './types.js';

/**
 * tls.renew: run the configured renewal program (certbot, acme.sh, a script
 * that fetches from a vault...), then read the certificate again and succeed
 * only if its expiry moved forward.
 *
 * The check reads the same place the tls probe reads (a live endpoint or a
 * PEM file), so "renewed" means what the rule will see: a program that
 * renewed the file but did not make the server load it has not fixed the
 * endpoint, and fails here. Reloading the server is the program's job
 * (e.g. certbot's --deploy-hook).
 *
 * There is no rollback: an older certificate is never better than a newer
 * one, and the CA has issued it either way.
 */

const NO_NUL = /^[^\0]*$/;
const argv = z
  .array(z.string().regex(NO_NUL, 'must not contain NUL bytes'))
  .min(1)
  .refine((a) => a[0] !== '', 'the program (argv[0]) must not be empty');

export const tlsRenewParams = z
  .strictObject({
    argv,
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name'), z.string().regex(NO_NUL)).default({}),
    cwd: z.string().min(1).optional(),
    ...certLocationShape,
    /** For the renewal program: ACME challenges can take minutes. */
    timeout: duration('5m'),
    /** For each read of the certificate (before and after). */
    check_timeout: duration('15s'),
    /** How far notAfter must move, in days; default: any forward move. */
    min_days_gain: z.number().positive().optional(),
  })
  .superRefine(checkCertLocation);
export type TlsRenewParams = z.output<typeof tlsRenewParams>;

const KILL_GRACE_MS = 5_000;
const MAX_OUTPUT_BYTES = 64 * 1024;

export function createTlsRenewAction(opts: ExecActionOptions = {}): ActionPlugin<TlsRenewParams> {
  const baseEnv = opts.baseEnv ?? inheritedEnv;
  return {
    type: 'tls.renew',
    schema: tlsRenewParams,
    // A renewal asks a CA for a certificate: running it twice spends rate limits and is not assumed safe.
    idempotent: false,
    mutates: true,
    async plan(ctx) {
      const p = ctx.params;
      const src = certSource(p);
      const gain = p.min_days_gain !== undefined ? `by at least ${p.min_days_gain} d` : 'forward';
      return {
        summary: `run ${displayArgv(p.argv)} (timeout ${formatDuration(p.timeout)}), then check that the certificate of ${describeSource(src)} moved its expiry ${gain}`,
        details: {
          argv: p.argv,
          cwd: p.cwd ?? null,
          env: Object.keys(p.env),
          timeoutMs: p.timeout,
          check: describeSource(src),
          minDaysGain: p.min_days_gain ?? null,
          rollback: null,
        },
      };
    },
    async execute(ctx) {
      const p = ctx.params;
      const src = certSource(p);
      const where = describeSource(src);
      // Without the current expiry there is nothing to compare with: do not run a renewal we could not judge.
      const before = await readOrThrow(ctx, src, 'unavailable', `cannot read the current certificate of ${where}; nothing was run`);

      const run = await runProgram(p.argv, { env: { ...baseEnv(), ...p.env }, cwd: p.cwd, timeout: p.timeout, kill_grace: KILL_GRACE_MS, max_output_bytes: MAX_OUTPUT_BYTES }, ctx);
      if (run.exitCode !== 0) {
        const how = run.exitCode === null ? `killed by ${run.signal ?? 'a signal'}` : `exit code ${run.exitCode}`;
        throw new ActionError('failed', `${p.argv[0]}: ${how}${lastLines(run.output)}`, {
          retryable: false,
          cause: { exitCode: run.exitCode, signal: run.signal, oldNotAfter: iso(before.notAfter) },
        });
      }

      const after = await readOrThrow(ctx, src, 'failed', `${p.argv[0]} exited 0 but the certificate of ${where} cannot be read now`);
      const gainDays = Math.round(((after.notAfter - before.notAfter) / 86_400_000) * 1e4) / 1e4;
      const data = {
        oldNotAfter: iso(before.notAfter),
        newNotAfter: iso(after.notAfter),
        gainDays,
        daysLeft: daysLeft(after.notAfter, ctx.clock.now()),
        replaced: after.fingerprint256 !== before.fingerprint256,
        exitCode: run.exitCode,
        durationMs: run.durationMs,
      };
      const wanted = p.min_days_gain;
      if (gainDays <= 0 || (wanted !== undefined && gainDays < wanted)) {
        const moved = gainDays === 0 ? 'did not move' : gainDays < 0 ? `moved back by ${-gainDays} d` : `moved only ${gainDays} d (wanted ${wanted} d)`;
        throw new ActionError('failed', `${p.argv[0]} exited 0 but the certificate of ${where} still expires ${data.newNotAfter}: notAfter ${moved}${lastLines(run.output)}`, {
          retryable: false,
          cause: data,
        });
      }
      return {
        summary: `certificate of ${where} renewed: notAfter ${data.oldNotAfter} → ${data.newNotAfter} (+${gainDays} d)`,
        output: run.output,
        data,
      };
    },
  };
}

export const tlsRenewAction = createTlsRenewAction();

/** One bounded read of the certificate; its own timeout so a hung endpoint cannot eat the renewal's time. */
async function readOrThrow(ctx: ActionContext<TlsRenewParams>, src: CertSource, code: 'unavailable' | 'failed', what: string): Promise<CertReading> {
  if (ctx.signal.aborted) throw toActionError(ctx.signal.reason);
  const timer = new AbortController();
  const signal = AbortSignal.any([ctx.signal, timer.signal]);
  ctx.clock.sleep(ctx.params.check_timeout, signal).then(() => timer.abort(new ActionError('timeout', 'check timed out')), () => {});
  try {
    return await readCertificate(src, signal);
  } catch (err) {
    if (ctx.signal.aborted) throw toActionError(ctx.signal.reason);
    const why = timer.signal.aborted ? `no answer within ${formatDuration(ctx.params.check_timeout)}` : errorMessage(err);
    throw new ActionError(code, `${what}: ${why}`, { retryable: code === 'unavailable', cause: err });
  } finally {
    // Ends the sleeping timer (and with it the pending clock.sleep) whatever happened.
    timer.abort();
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

