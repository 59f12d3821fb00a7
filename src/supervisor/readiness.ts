import type { Clock } from '../core/clock.js';
import { ActionError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';

/** Longest a single readiness request may take; a starting server either answers fast or not at all. */
const REQUEST_TIMEOUT_MS = 1000;

/**
 * Polls `url` until it answers 2xx. The first request goes out at once (a
 * refused connection costs well under a millisecond) and then every
 * `intervalMs`, so readiness is seen at most one interval after it happens.
 * Throws ActionError 'timeout' after `timeoutMs`; rejects with whatever the
 * clock or fetch rejects with when `signal` aborts (callers check the signal).
 */
export async function pollReady(
  url: string,
  opts: { timeoutMs: number; intervalMs: number; clock: Clock; signal: AbortSignal },
): Promise<void> {
  const { clock, signal } = opts;
  const deadline = clock.now() + opts.timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    if (await answersOk(url, Math.min(remaining, REQUEST_TIMEOUT_MS), signal)) return;
    const left = deadline - clock.now();
    if (left <= 0) break;
    await clock.sleep(Math.min(opts.intervalMs, left), signal);
  }
  throw new ActionError('timeout', `${url} did not answer 2xx within ${formatDuration(opts.timeoutMs)}`);
}

async function answersOk(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    // Reading the body lets the connection go back to the pool instead of lingering.
    await res.arrayBuffer();
    return res.ok;
  } catch (err) {
    if (signal.aborted) throw err;
    return false;
  }
}
