import type { Clock } from '../core/clock.js';
import { ActionError, toActionError } from '../core/errors.js';
import type { BackoffSpec } from '../runbooks/types.js';

/** How long a timed-out attempt gets to honour its abort before retrying is judged unsafe. */
export const ABANDON_GRACE_MS = 5_000;

/**
 * Runs `fn` with a timeout on the injected clock, retrying retryable failures
 * with exponential backoff (an error's own retryAfterMs wins). Returns the
 * value and how many attempts it took, or throws the last ActionError with
 * the attempt count attached.
 *
 * Two safety rules: nothing new starts once `signal` is aborted (engine stop),
 * and a retry never runs beside an attempt that timed out but has not stopped:
 * the action would then be running twice at once.
 */
export async function withRetries<T>(
  clock: Clock,
  opts: { timeoutMs: number; retries: number; backoff: BackoffSpec; signal: AbortSignal },
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  let delay = opts.backoff.initialMs;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) throw Object.assign(new ActionError('aborted', 'stopped before the attempt', { retryable: false }), { attempts: attempt - 1 });
    let settled: Promise<unknown> = Promise.resolve();
    try {
      const value = await withTimeout(clock, opts.timeoutMs, opts.signal, (s) => {
        const p = fn(s, attempt);
        settled = p.catch(() => undefined);
        return p;
      });
      return { value, attempts: attempt };
    } catch (err) {
      let e = toActionError(err);
      if (e.code === 'timeout' && !(await settlesWithin(clock, settled, ABANDON_GRACE_MS))) {
        e = new ActionError('timeout', `${e.message}, and the attempt did not stop within ${ABANDON_GRACE_MS} ms of being told to: not retried`, { retryable: false, cause: e });
      }
      if (!e.retryable || attempt > opts.retries || opts.signal.aborted) throw Object.assign(e, { attempts: attempt });
      try {
        await clock.sleep(e.retryAfterMs ?? delay, opts.signal);
      } catch {
        throw Object.assign(e, { attempts: attempt });
      }
      delay = Math.min(opts.backoff.maxMs, delay * opts.backoff.factor);
    }
  }
}

export async function withTimeout<T>(clock: Clock, timeoutMs: number, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (parent.aborted) throw new ActionError('aborted', 'stopped', { retryable: false });
  const ctrl = new AbortController();
  const onParent = () => ctrl.abort(parent.reason);
  parent.addEventListener('abort', onParent, { once: true });
  const stopTimer = new AbortController();
  const timedOut = clock.sleep(timeoutMs, stopTimer.signal).then(
    () => {
      const err = new ActionError('timeout', `timed out after ${timeoutMs} ms`);
      ctrl.abort(err);
      throw err;
    },
    () => new Promise<never>(() => {}),
  );
  try {
    return await Promise.race([fn(ctrl.signal), timedOut]);
  } finally {
    stopTimer.abort();
    parent.removeEventListener('abort', onParent);
  }
}

async function settlesWithin(clock: Clock, p: Promise<unknown>, ms: number): Promise<boolean> {
  const stop = new AbortController();
  const timer = clock.sleep(ms, stop.signal).then(() => false, () => true);
  const done = await Promise.race([p.then(() => true), timer]);
  stop.abort();
  return done;
}

export function attemptsOf(err: unknown): number {
  return typeof err === 'object' && err !== null && 'attempts' in err && typeof err.attempts === 'number' ? err.attempts : 1;
}
