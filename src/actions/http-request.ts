import { describeFetchError, readBodyCapped, safeUrl } from '../drivers/fetch.js';
import { durationParam as duration } from '../core/param-schemas.js';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { ActionError } from '../core/errors.js';
import { isTimeoutReason } from '../drivers/program.js';
import type { ActionContext, ActionOutcome, ActionPlugin } from './types.js';

/**
 * http.request: call a URL and expect a status (any 2xx unless told).
 *
 * Header values are never logged, planned or returned: they are where the
 * tokens live (Authorization, X-Api-Key). URLs are shown without their query
 * string for the same reason.
 */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const statusCode = z.number().int().min(100).max(599);

function isPlainHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}


const url = z.string().refine(isPlainHttpUrl, 'must be an http:// or https:// URL without credentials (use an Authorization header)');
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(METHODS));
const headers = z.record(z.string().regex(HEADER_NAME, 'not a valid header name'), z.string().regex(/^[^\r\n]*$/, 'no line breaks'));
/** A string is sent as it is; anything else as JSON. */
const body = z.json();
const expectStatus = z.union([statusCode, z.array(statusCode).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const noBodyOnGet = (r: { method?: string | undefined; body?: unknown }): boolean =>
  r.body === undefined || (r.method !== 'GET' && r.method !== 'HEAD');

export const httpRequestParams = z
  .strictObject({
    url,
    method: method.default('POST'),
    headers: headers.default({}),
    body: body.optional(),
    expect_status: expectStatus.optional(),
    timeout: duration('10s'),
    max_response_bytes: z.number().int().min(0).default(64 * 1024),
    /** The request that undoes this one; url and headers default to this request's. */
    rollback: z
      .strictObject({
        url: url.optional(),
        method: method.default('POST'),
        headers: headers.optional(),
        body: body.optional(),
        expect_status: expectStatus.optional(),
      })
      .refine(noBodyOnGet, 'a GET or HEAD request cannot have a body')
      .optional(),
  })
  .refine(noBodyOnGet, 'a GET or HEAD request cannot have a body');
export type HttpRequestParams = z.output<typeof httpRequestParams>;

interface RequestSpec {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly expectStatus: readonly number[] | undefined;
}

export const httpRequestAction: ActionPlugin<HttpRequestParams> = {
  type: 'http.request',
  schema: httpRequestParams,
  // Declared false even for GET/PUT/DELETE: whether the far end honours HTTP's idempotency is unknowable from here.
  idempotent: false,
  mutates: true,
  async plan(ctx) {
    const p = ctx.params;
    return {
      summary: `${p.method} ${safeUrl(p.url)} (expects ${describeExpected(p.expect_status)}, timeout ${formatDuration(p.timeout)})`,
      details: {
        method: p.method,
        url: safeUrl(p.url),
        headers: Object.keys(p.headers),
        hasBody: p.body !== undefined,
        rollback: p.rollback ? `${p.rollback.method} ${safeUrl(p.rollback.url ?? p.url)}` : null,
      },
    };
  },
  async execute(ctx) {
    const p = ctx.params;
    return send(ctx, { url: p.url, method: p.method, headers: p.headers, body: p.body, expectStatus: p.expect_status });
  },
  async rollback(ctx) {
    const p = ctx.params;
    const r = p.rollback;
    if (!r) return { summary: 'no rollback request given: nothing to undo', undone: false };
    return send(ctx, {
      url: r.url ?? p.url,
      method: r.method,
      headers: r.headers ?? p.headers,
      body: r.body,
      expectStatus: r.expect_status,
    });
  },
};

async function send(ctx: ActionContext<HttpRequestParams>, req: RequestSpec): Promise<ActionOutcome> {
  const { timeout, max_response_bytes: maxBytes } = ctx.params;
  if (ctx.signal.aborted) throw new ActionError('aborted', 'aborted before the request was sent', { retryable: false });
  const shown = `${req.method} ${safeUrl(req.url)}`;

  const headers: Record<string, string> = { ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
    payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
    if (typeof req.body !== 'string' && !hasType) headers['content-type'] = 'application/json';
  }

  const timers = new AbortController();
  const timedOut = new AbortController();
  ctx.clock.sleep(timeout, timers.signal).then(() => timedOut.abort(), () => {});
  const signal = AbortSignal.any([ctx.signal, timedOut.signal]);
  const started = performance.now();
  try {
    const res = await fetch(req.url, { method: req.method, headers, body: payload, signal, redirect: 'manual' });
    const body = await readBodyCapped(res, maxBytes);
    const text = body.truncated ? `${body.text}\n[... response truncated at ${maxBytes} bytes ...]` : body.text;
    const truncated = body.truncated;
    const durationMs = Math.round(performance.now() - started);
    ctx.log.info({ action: 'http.request', request: shown, status: res.status, durationMs }, 'http request done');
    const data = { status: res.status, durationMs, truncated };
    if (!statusOk(res.status, req.expectStatus)) {
      const snippet = text.trim() === '' ? '' : `: ${text.trim().slice(0, 500)}`;
      const message = `${shown} answered ${res.status}, expected ${describeExpected(req.expectStatus)}${snippet}`;
      // 429 and 5xx say "not now"; other statuses will not change by asking again.
      if (res.status === 429 || res.status >= 500) {
        throw new ActionError('unavailable', message, { retryAfterMs: retryAfterMs(res.headers.get('retry-after'), ctx.clock.now()), cause: data });
      }
      throw new ActionError('failed', message, { retryable: false, cause: data });
    }
    return { summary: `${shown} → ${res.status} in ${formatDuration(durationMs)}`, output: text, data };
  } catch (err) {
    if (err instanceof ActionError) throw err;
    if (timedOut.signal.aborted) throw new ActionError('timeout', `${shown}: no complete answer within ${formatDuration(timeout)}`, { cause: err });
    if (ctx.signal.aborted) {
      if (isTimeoutReason(ctx.signal.reason)) throw new ActionError('timeout', `${shown}: no complete answer within the step timeout`, { cause: err });
      throw new ActionError('aborted', `${shown}: aborted`, { retryable: false, cause: err });
    }
    // Refused, reset, DNS: the far end may well be back in a moment.
    throw new ActionError('unavailable', `${shown}: ${describeFetchError(err)}`, { cause: err });
  } finally {
    timers.abort();
  }
}

function statusOk(status: number, expected: readonly number[] | undefined): boolean {
  return expected ? expected.includes(status) : status >= 200 && status <= 299;
}

function describeExpected(expected: readonly number[] | undefined): string {
  return expected ? expected.join(' or ') : '2xx';
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}



