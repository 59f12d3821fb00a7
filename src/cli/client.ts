import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

/** A small client of Medic's own API for the CLI commands. */
export interface ApiClientOptions {
  readonly url: string;
  readonly token?: string | null;
}

export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T>(opts: ApiClientOptions, method: Method, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, opts.url.endsWith('/') ? opts.url : `${opts.url}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new ApiClientError(`cannot reach Medic at ${opts.url} (${(err as Error).message}); is \`medic serve\` or \`medic demo\` running? (--url / MEDIC_URL)`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiClientError(`${res.status}: not a Medic API answer from ${opts.url}`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    const hint = res.status === 401 && !opts.token ? ' (give a token: --token or MEDIC_TOKEN)' : '';
    throw new ApiClientError(`${res.status} ${e?.code ?? ''}: ${e?.message ?? text}${hint}`.trim());
  }
  return json as T;
}

export function defaultUrl(): string {
  return process.env['MEDIC_URL'] ?? `http://127.0.0.1:${process.env['MEDIC_PORT'] ?? '7070'}`;
}

export interface ConnectionFlags {
  readonly url: string;
  readonly token?: string;
}

/** --url and --token on a command that talks to the API. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'Medic API (env MEDIC_URL)', defaultUrl())
    .option('--token <token>', 'API token (env MEDIC_TOKEN; for the demo\'s own URL, <data dir>/demo-token)');
}

/**
 * The flag wins, then MEDIC_TOKEN; talking to the default URL, the token the
 * demo left in its data directory (so the README's walkthrough needs no setup).
 */
export function connection(flags: ConnectionFlags): ApiClientOptions {
  const token = flags.token ?? process.env['MEDIC_TOKEN'] ?? (flags.url === defaultUrl() ? demoToken() : null);
  return { url: flags.url, token };
}

function demoToken(): string | null {
  try {
    return readFileSync(join(process.env['MEDIC_DATA_DIR'] ?? '.medic', 'demo-token'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Runs a command's body: failures print the API's message and set a non-zero exit code. */
export async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.stderr.write(`medic: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export interface Page<T> { items: T[]; total: number }
