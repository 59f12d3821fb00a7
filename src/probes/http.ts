import { describeFetchError, readBodyCapped, safeUrl } from '../drivers/fetch.js';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import type { ProbeContext, ProbePlugin } from './types.js';
import { renderReplicaUrls } from './replicas.js';

/**
 * http probe: is a health URL answering, how fast, with what status.
 *
 * Emits http_up (1/0), http_latency_ms and http_status (0 when nothing
 * answered). With `{{port}}` in the URL every replica is checked and reported
 * on its own (label `replica`), so rules judge each replica and a fix can
 * touch only the bad one. The group is reported too, without the label: the
 * worst replica (what the watch and the charts read) and http_replicas_down,
 * the count a rule over the whole group reads.
 *
 * A timeout is a result, not an error: the engine aborts ctx.signal at the
 * probe's timeout, fetch rejects, and the check reports http_up 0. Undici
 * destroys the socket of an aborted in-flight request, so a hung server never
 * accumulates our connections; answered requests have their body drained so
 * the keep-alive connection goes back to the pool for reuse.
 */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
/** Health bodies are small; a body_match never needs more than this. */
const MAX_BODY_BYTES = 1024 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const statusCode = z.number().int().min(100).max(599);

/** Checks the shape of a URL that may still hold `{{port}}`. */
export function isHttpUrlTemplate(url: string): boolean {
  try {
    const u = new URL(url.replace(/\{\{\s*port\s*\}\}/g, '1'));
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export const httpProbeParams = z.strictObject({
  url: z.string().refine(isHttpUrlTemplate, 'must be an http:// or https:// URL (may contain {{port}})'),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(METHODS))
    .default('GET'),
  expect_status: z
    .union([statusCode, z.array(statusCode).min(1)])
    .default(200)
    .transform((v) => (Array.isArray(v) ? v : [v])),
  body_match: z.string().refine(isValidRegex, 'must be a valid regular expression').optional(),
  headers: z
    .record(z.string().regex(HEADER_NAME, 'not a valid header name'), z.string().regex(/^[^\r\n]*$/, 'no line breaks'))
    .default({}),
});
export type HttpProbeParams = z.output<typeof httpProbeParams>;

export interface HttpCheckResult {
  readonly url: string;
  readonly up: boolean;
  /** 0 when nothing answered. */
  readonly status: number;
  readonly latencyMs: number;
  /** Why it counts as down, for the debug log. */
  readonly reason: string | null;
}

export const httpProbe: ProbePlugin<HttpProbeParams> = {
  type: 'http',
  schema: httpProbeParams,
  produces: ['http_up', 'http_latency_ms', 'http_status', 'http_replicas_down'],
  async check(ctx) {
    const urls = renderReplicaUrls(ctx.params.url, ctx);
    // A group scaled to zero: nothing is expected to answer, so nothing is measured.
    if (urls.length === 0) return [];
    const results = await Promise.all(urls.map((u) => checkUrl(u.url, ctx)));
    for (const r of results) {
      if (!r.up) ctx.log.debug({ probe: ctx.probe.name, url: safeUrl(r.url), status: r.status, reason: r.reason }, 'http check failed');
    }
    if (urls[0]!.replica === null) return worstOf(results);
    const perReplica = results.flatMap((r, i) => samplesOf(r, { replica: String(urls[i]!.replica) }));
    return [...perReplica, ...worstOf(results), { name: 'http_replicas_down', value: results.filter((r) => !r.up).length }];
  },
};

function samplesOf(r: HttpCheckResult, labels: Readonly<Record<string, string>>): Sample[] {
  return [
    { name: 'http_up', value: r.up ? 1 : 0, labels },
    { name: 'http_latency_ms', value: r.latencyMs, labels },
    { name: 'http_status', value: r.status, labels },
  ];
}

/** The worst replica decides: up is the minimum, latency the maximum, status the first failing one's. */
export function worstOf(results: readonly HttpCheckResult[]): Sample[] {
  if (results.length === 0) return [];
  const down = results.find((r) => !r.up);
  return [
    { name: 'http_up', value: down ? 0 : 1 },
    { name: 'http_latency_ms', value: Math.max(...results.map((r) => r.latencyMs)) },
    { name: 'http_status', value: (down ?? results[0]!).status },
  ];
}

export async function checkUrl(url: string, ctx: ProbeContext<HttpProbeParams>): Promise<HttpCheckResult> {
  const { method, headers, expect_status: expected, body_match: bodyMatch } = ctx.params;
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;
  let status = 0;
  try {
    // redirect: 'manual' so that expect_status judges this URL, not whatever a redirect leads to.
    const res = await fetch(url, { method, headers, signal: ctx.signal, redirect: 'manual' });
    status = res.status;
    // Always drain the body: a half-read response pins its connection.
    const body = await readBodyCapped(res, MAX_BODY_BYTES);
    const latencyMs = elapsed();
    if (!expected.includes(status)) {
      return { url, up: false, status, latencyMs, reason: `status ${status}, expected ${expected.join(' or ')}` };
    }
    if (bodyMatch !== undefined && !new RegExp(bodyMatch).test(body.text)) {
      return { url, up: false, status, latencyMs, reason: `body does not match /${bodyMatch}/` };
    }
    return { url, up: true, status, latencyMs, reason: null };
  } catch (err) {
    const reason = ctx.signal.aborted ? 'no answer before the timeout' : describeFetchError(err);
    return { url, up: false, status, latencyMs: elapsed(), reason };
  }
}

