import { Redis } from 'ioredis';
import { ActionError } from '../core/errors.js';
import { redactString } from '../audit/redact.js';

/**
 * One short-lived Redis connection for a probe check or an action: opened on
 * demand, closed after, never retried in the background (a probe that cannot
 * connect must say so at once, not queue commands). The URL's password never
 * reaches a message.
 */
export async function withRedis<T>(url: string, signal: AbortSignal, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 5_000 });
  r.on('error', () => {});
  const onAbort = () => r.disconnect();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) throw new ActionError('aborted', 'aborted', { retryable: false });
    await r.connect();
    return await fn(r);
  } catch (err) {
    if (err instanceof ActionError) throw err;
    if (signal.aborted) throw new ActionError('aborted', `redis ${redactString(url)}: aborted`, { retryable: false, cause: err });
    throw new ActionError('unavailable', `redis ${redactString(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    signal.removeEventListener('abort', onAbort);
    r.disconnect();
  }
}

/** INFO's "key:value" lines as a map. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}
