import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import { describeFetchError, readBodyCapped, safeUrl } from '../drivers/fetch.js';
import type { ProbePlugin } from './types.js';

/**
 * prometheus probe: evaluates PromQL expressions as instant queries against a
 * Prometheus server's HTTP API (GET /api/v1/query), so rules can use any
 * metric Prometheus has. Each query's result becomes signals named after the
 * query: one per series of an instant vector (with the series' labels), or
 * one for a scalar. A rule reads the signal with `labels:` to pick a series,
 * or the query aggregates to one series (`max(...)`, `sum by ...`).
 *
 * The check's timeout goes to Prometheus too (`timeout=`), so a heavy query
 * is stopped there as well. A server that is down, an HTTP error or a bad
 * query throws with a message that says which (the engine records it as
 * probe_error for this probe); NaN samples are skipped.
 */
const SIGNAL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Beyond this many series a query is almost surely missing an aggregation. */
const MAX_SERIES = 1000;

export const prometheusParams = z.strictObject({
  url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL').meta({ description: 'The Prometheus server, e.g. http://127.0.0.1:9090.' }),
  queries: z.array(z.strictObject({
    name: z.string().regex(SIGNAL_NAME, 'not a valid signal name'),
    expr: z.string().trim().min(1).max(10_000),
  })).min(1).refine((qs) => new Set(qs.map((q) => q.name)).size === qs.length, 'query names must be unique'),
  headers: z.record(z.string(), z.string().regex(/^[^\r\n]*$/, 'no line breaks')).default({}).meta({ description: 'E.g. Authorization for a protected server.' }),
});
export type PrometheusParams = z.output<typeof prometheusParams>;

interface ApiAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

export const prometheusProbe: ProbePlugin<PrometheusParams> = {
  type: 'prometheus',
  schema: prometheusParams,
  produces: [],
  async check(ctx) {
    const out: Sample[] = [];
    for (const q of ctx.params.queries) out.push(...await instantQuery(ctx.params.url, q, ctx.params.headers, ctx.probe.timeoutMs, ctx.signal));
    return out;
  },
};

export async function instantQuery(
  base: string, q: { name: string; expr: string }, headers: Readonly<Record<string, string>>, timeoutMs: number, signal: AbortSignal,
): Promise<Sample[]> {
  const url = new URL('api/v1/query', base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('query', q.expr);
  url.searchParams.set('timeout', `${Math.max(1, Math.floor(timeoutMs / 1000))}s`);
  const where = `prometheus ${safeUrl(base)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal });
  } catch (err) {
    if (signal.aborted) throw new Error(`${where}: no answer to query ${q.name} within ${timeoutMs} ms`);
    throw new Error(`${where} is unreachable: ${describeFetchError(err)}`);
  }
  const body = await readBodyCapped(res, MAX_BODY_BYTES);
  let answer: ApiAnswer | null = null;
  try {
    answer = JSON.parse(body.text) as ApiAnswer;
  } catch {
    answer = null;
  }
  if (!answer || typeof answer !== 'object') {
    throw new Error(`${where}: HTTP ${res.status} for query ${q.name}, and the answer is not the query API's JSON${body.truncated ? ' (too large)' : ''}`);
  }
  if (answer.status !== 'success') {
    // 400 bad_data: the expression does not parse; 422 execution; 503 timeout or overload.
    throw new Error(`${where}: query ${q.name} failed (HTTP ${res.status}, ${answer.errorType ?? 'error'}): ${answer.error ?? 'no reason given'}`);
  }
  return toSamples(q.name, answer.data);
}

function toSamples(name: string, data: ApiAnswer['data']): Sample[] {
  if (!data) return [];
  if (data.resultType === 'scalar') {
    const v = value((data.result as [number, string])[1]);
    return v === null ? [] : [{ name, value: v }];
  }
  if (data.resultType !== 'vector') {
    throw new Error(`query ${name} returned a ${data.resultType}; write an instant vector or a scalar (no range selector like [5m] at the top)`);
  }
  const result = data.result as { metric: Record<string, string>; value: [number, string] }[];
  if (result.length > MAX_SERIES) throw new Error(`query ${name} returned ${result.length} series (more than ${MAX_SERIES}); aggregate it`);
  const out: Sample[] = [];
  for (const s of result) {
    const v = value(s.value[1]);
    if (v !== null) out.push({ name, value: v, labels: s.metric });
  }
  return out;
}

/** Prometheus writes sample values as strings: "1.5", "NaN", "+Inf". */
function value(s: string): number | null {
  const v = s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
  return Number.isNaN(v) ? null : v;
}
