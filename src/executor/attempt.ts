import type { Clock } from '../core/clock.js';
import { ActionError, toActionError } from '../core/errors.js';
import type { BackoffSpec } from '../runbooks/types.js';

/**
 * Runs `fn` with a timeout on the injected clock, retrying retryable failures
 * with exponential backoff (an error's own retryAfterMs wins). Returns the
 * value and how many attempts it took, or throws the last ActionError with
 * the attempt count attached.
 */
export async function withRetries<T>(
  clock: Clock,
  opts: { timeoutMs: number; retries: number; backoff: BackoffSpec; signal: AbortSignal },
  fn: (signal: AbortSignal, attempt: number) => Promise<T>,
): Promise<{ value: T; attempts: number }> {
  let delay = opts.backoff.initialMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await withTimeout(clock, opts.timeoutMs, opts.signal, (s) => fn(s, attempt)), attempts: attempt };
    } catch (err) {
      const e = toActionError(err);
      if (!e.retryable || attempt > opts.retries || opts.signal.aborted) throw Object.assign(e, { attempts: attempt });
      await clock.sleep(e.retryAfterMs ?? delay, opts.signal).catch(() => undefined);
      delay = Math.min(opts.backoff.maxMs, delay * opts.backoff.factor);
    }
  }
}

export async function withTimeout<T>(clock: Clock, timeoutMs: number, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
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

export function attemptsOf(err: unknown): number {
  return typeof err === 'object' && err !== null && 'attempts' in err && typeof err.attempts === 'number' ? err.attempts : 1;
}
