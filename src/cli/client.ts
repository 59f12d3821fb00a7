/** A small client of Medic's own API for the CLI commands. */
export interface ApiClientOptions {
  readonly url: string;
  readonly actor?: string;
}

export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
}

export async function api<T>(opts: ApiClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const url = new URL(path, opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.actor ? { 'x-medic-actor': opts.actor } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new ApiClientError(`cannot reach Medic at ${opts.url} (${(err as Error).message}); is \`medic serve\` or \`medic demo\` running? (--url / MEDIC_URL)`);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiClientError(`${res.status} ${e?.code ?? ''}: ${e?.message ?? text}`.trim());
  }
  return json as T;
}

export function defaultUrl(): string {
  return process.env['MEDIC_URL'] ?? `http://127.0.0.1:${process.env['MEDIC_PORT'] ?? '7070'}`;
}
