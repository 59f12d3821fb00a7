import { Redis } from 'ioredis';
import { ActionError } from '../core/errors.js';
import { redactString } from '../core/redact.js';

/**
 * One short-lived Redis connection for a probe check or an action: opened on
 * demand, closed after, never retried in the background (a probe that cannot
 * connect must say so at once, not queue commands). The URL's password never
 * reaches a message.
 */
export async function withRedis<T>(url: string, signal: AbortSignal, fn: (r: Redis) => Promise<T>, opts: { connectTimeoutMs?: number } = {}): Promise<T> {
  const target = parseRedisUrl(url);
  // The database is selected here, not by the client from the URL: a client that
  // fails that SELECT only emits an error and stays on db 0, where a flush would
  // then land on the wrong data.
  const r = new Redis({
    host: target.host, port: target.port, username: target.username, password: target.password, db: 0,
    ...(target.tls ? { tls: {} } : {}),
    lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
    connectTimeout: opts.connectTimeoutMs ?? 5_000,
  });
  let lastError: unknown = null;
  r.on('error', (e: unknown) => { lastError = e; });
  const onAbort = () => r.disconnect();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) throw new ActionError('aborted', 'aborted', { retryable: false });
    await r.connect().catch((e: unknown) => { throw lastError ?? e; });
    await r.select(target.db);
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

export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: boolean;
}

/** redis[s]://[user][:password@]host[:port][/db], strictly: a path that is not a database number is an error. */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ActionError('invalid_params', `not a URL: ${redactString(url)}`, { retryable: false });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ActionError('invalid_params', 'must be a redis:// or rediss:// URL', { retryable: false });
  const path = u.pathname.replace(/^\//, '');
  if (!/^\d{0,4}$/.test(path) || u.search || u.hash) {
    throw new ActionError('invalid_params', `${redactString(url)}: the path must be a database number, and nothing may follow it`, { retryable: false });
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: path === '' ? 0 : Number(path),
    tls: u.protocol === 'rediss:',
  };
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
