/**
 * The dashboard's only way to the engine: the public API under /api/v1, with
 * the token from the session. A route the server does not have (an older
 * engine) is reported as NotAvailable, so a view can say so instead of failing.
 */
import { session } from './session';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
  /** The server has no such route, or says it cannot do this yet (as opposed to no such record). */
  get notAvailable(): boolean {
    return (this.status === 404 && /^no route /.test(this.message)) || this.code === 'unavailable' || this.status === 501;
  }
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

type Body = Record<string, unknown> | string | undefined;

export async function request<T>(method: string, path: string, body?: Body, token = session.token()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = typeof body === 'string' ? 'text/plain' : 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'unreachable', `Medic is not reachable (${(err as Error).message}). Is the engine running?`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    const err = new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? `${method} ${path} answered ${res.status}`, e?.details);
    if (err.unauthorized && token && token === session.token()) session.expired();
    throw err;
  }
  return json as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: Body = {}) => request<T>('POST', path, body);
export const patch = <T>(path: string, body: Body) => request<T>('PATCH', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** `?a=1&b=x` from an object, leaving out empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
