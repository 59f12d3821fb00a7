import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import type { ProbeContext, ProbePlugin } from './types.js';
import { describeFetchError, readBodyCapped, safeUrl } from '../drivers/fetch.js';
import { isHttpUrlTemplate } from './http.js';
import {
  histogramQuantile,
  parseLe,
  parsePrometheusText,
  seriesKey,
  type Bucket,
  type PromExposition,
} from './prom-parse.js';
import { renderReplicaUrls } from './replicas.js';
import { replicaLabels } from '../core/fingerprint.js';

/**
 * prometheus_text probe: scrapes a /metrics page (every replica's, with
 * `{{port}}`) and turns counters into rates between consecutive scrapes:
 * request_rate (per second), error_ratio, latency_pNN_ms from a histogram,
 * plus any gauges by name, and scrape_up.
 *
 * Deltas are taken per series and per URL, then summed, so a restart of one
 * replica (its counters fall back to zero) counts that replica's new value as
 * its delta, like Prometheus' rate(), instead of a negative or huge jump. A
 * series absent from the previous scrape of a URL counts from zero: client
 * libraries create labelled series lazily, on the first error.
 */

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const SIGNAL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'not a Prometheus metric name');

export const prometheusTextParams = z.strictObject({
  url: z.string().refine(isHttpUrlTemplate, 'must be an http:// or https:// URL (may contain {{port}})'),
  error_ratio: z.strictObject({ errors: METRIC, requests: METRIC }).optional(),
  latency: z
    .strictObject({
      histogram: METRIC,
      quantiles: z.array(z.number().gt(0).lte(1)).min(1).default([0.95]),
      /** Unit of the histogram's buckets; by default read from the name (`_seconds`, `_milliseconds`, `_ms`). */
      unit: z.enum(['seconds', 'milliseconds']).optional(),
    })
    .optional(),
  gauges: z.record(z.string().regex(SIGNAL_NAME, 'not a valid signal name'), METRIC).default({}),
  headers: z.record(z.string(), z.string().regex(/^[^\r\n]*$/, 'no line breaks')).default({}),
});
export type PrometheusTextParams = z.output<typeof prometheusTextParams>;

/** One URL's last good scrape. */
interface Baseline {
  readonly at: number;
  readonly inputs: RateInputs;
}

type ScrapeResult = { url: string; ok: true; exp: PromExposition } | { url: string; ok: false; reason: string };

/** `0.95` → `latency_p95_ms`, `0.999` → `latency_p99_9_ms`. */
export function quantileSignalName(q: number): string {
  return `latency_p${String(Number((q * 100).toFixed(6))).replace('.', '_')}_ms`;
}

/** Builds the plugin; its baselines live in this closure, keyed by probe name, because one plugin serves every probe. */
export function createPrometheusTextProbe(): ProbePlugin<PrometheusTextParams> {
  const baselines = new Map<string, Map<string, Baseline>>();

  return {
    type: 'prometheus_text',
    schema: prometheusTextParams,
    produces: ['scrape_up', 'request_rate', 'error_ratio', 'latency_p50_ms', 'latency_p90_ms', 'latency_p95_ms', 'latency_p99_ms'],
    async check(ctx) {
      const rendered = renderReplicaUrls(ctx.params.url, ctx);
      const urls = rendered.map((u) => u.url);
      if (urls.length === 0) return [];
      const scrapes = await Promise.all(urls.map((url) => scrape(url, ctx)));
      const now = ctx.clock.now();
      for (const s of scrapes) {
        if (!s.ok) ctx.log.debug({ probe: ctx.probe.name, url: safeUrl(s.url), reason: s.reason }, 'scrape failed');
      }

      const samples: Sample[] = [{ name: 'scrape_up', value: scrapes.every((s) => s.ok) ? 1 : 0 }];
      const good = scrapes.filter((s): s is Extract<ScrapeResult, { ok: true }> => s.ok);
      samples.push(...gaugeSamples(ctx.params, good));

      let mine = baselines.get(ctx.probe.name);
      if (!mine) baselines.set(ctx.probe.name, (mine = new Map()));
      // Replicas that went away (scaled down) must not be compared against later.
      for (const url of [...mine.keys()]) if (!urls.includes(url)) mine.delete(url);

      const acc = new RateAccumulator(ctx.params);
      // With {{port}}, each replica is also reported on its own (label `replica`), so rules judge each one.
      const perReplica: Sample[] = [];
      for (const [i, s] of scrapes.entries()) {
        const replica = rendered[i]!.replica;
        const labels = replica === null ? null : replicaLabels(String(replica));
        if (labels) perReplica.push({ name: 'scrape_up', value: s.ok ? 1 : 0, labels });
        if (!s.ok) continue;
        const current = rateInputs(ctx.params, s.exp);
        const prev = mine.get(s.url);
        // A clock that stood still or went back gives no usable interval: start afresh from here.
        if (prev && now > prev.at) {
          acc.add(prev.inputs, current, now - prev.at);
          if (labels) {
            const one = new RateAccumulator(ctx.params);
            one.add(prev.inputs, current, now - prev.at);
            perReplica.push(...one.samples().map((x) => ({ ...x, labels })));
          }
        }
        mine.set(s.url, { at: now, inputs: current });
      }
      samples.push(...acc.samples(), ...perReplica);
      return samples;
    },
  };
}


async function scrape(url: string, ctx: ProbeContext<PrometheusTextParams>): Promise<ScrapeResult> {
  try {
    const res = await fetch(url, {
      headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1', ...ctx.params.headers },
      signal: ctx.signal,
    });
    const body = await readBodyCapped(res, MAX_BODY_BYTES);
    if (res.status < 200 || res.status > 299) return { url, ok: false, reason: `status ${res.status}` };
    if (body.truncated) return { url, ok: false, reason: `exposition larger than ${MAX_BODY_BYTES} bytes` };
    return { url, ok: true, exp: parsePrometheusText(body.text) };
  } catch (err) {
    const reason = ctx.signal.aborted ? 'no answer before the timeout' : err instanceof Error && err.name === 'PromParseError' ? err.message : describeFetchError(err);
    return { url, ok: false, reason };
  }
}

/** Counters are named with or without `_total`; accept the config's spelling either way. */
function resolveName(exp: PromExposition, name: string): string {
  if (exp.samples.some((s) => s.name === name)) return name;
  const alt = `${name}_total`;
  return exp.samples.some((s) => s.name === alt) ? alt : name;
}

function gaugeSamples(params: PrometheusTextParams, good: readonly { exp: PromExposition }[]): Sample[] {
  const out: Sample[] = [];
  for (const [signal, metric] of Object.entries(params.gauges)) {
    let sum = 0;
    let found = false;
    for (const { exp } of good) {
      for (const s of exp.samples) {
        if (s.name !== metric || Number.isNaN(s.value)) continue;
        sum += s.value;
        found = true;
      }
    }
    if (found) out.push({ name: signal, value: sum });
  }
  return out;
}

/** Counter values of one scrape, only for the series rates are computed from. */
interface RateInputs {
  readonly errors: ReadonlyMap<string, number>;
  readonly requests: ReadonlyMap<string, number>;
  /** Histogram series (labels without `le`) → bucket upper bound → cumulative count. */
  readonly histograms: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

function rateInputs(params: PrometheusTextParams, exp: PromExposition): RateInputs {
  const counter = (name: string): Map<string, number> => {
    const values = new Map<string, number>();
    for (const s of exp.samples) {
      if (s.name === name && !Number.isNaN(s.value)) values.set(seriesKey(name, s.labels), s.value);
    }
    return values;
  };
  const histograms = new Map<string, Map<number, number>>();
  if (params.latency) {
    const name = `${params.latency.histogram}_bucket`;
    for (const s of exp.samples) {
      if (s.name !== name || Number.isNaN(s.value)) continue;
      const le = parseLe(s.labels['le']);
      if (Number.isNaN(le)) continue;
      const { le: _le, ...rest } = s.labels;
      const id = seriesKey(name, rest);
      let buckets = histograms.get(id);
      if (!buckets) histograms.set(id, (buckets = new Map()));
      buckets.set(le, s.value);
    }
  }
  return {
    errors: params.error_ratio ? counter(resolveName(exp, params.error_ratio.errors)) : new Map(),
    requests: params.error_ratio ? counter(resolveName(exp, params.error_ratio.requests)) : new Map(),
    histograms,
  };
}

/** Sums deltas over URLs; a rate is the sum of each URL's delta over its own interval. */
class RateAccumulator {
  private intervals = 0;
  private errors = 0;
  private requests = 0;
  private requestRate = 0;
  private observationRate = 0;
  /** Bucket upper bound → summed delta of that cumulative bucket. */
  private readonly buckets = new Map<number, number>();

  constructor(private readonly params: PrometheusTextParams) {}

  add(prev: RateInputs, current: RateInputs, intervalMs: number): void {
    this.intervals++;
    const requests = sumDeltas(prev.requests, current.requests);
    this.errors += sumDeltas(prev.errors, current.errors);
    this.requests += requests;
    this.requestRate += (requests * 1000) / intervalMs;

    for (const [id, buckets] of current.histograms) {
      const before = prev.histograms.get(id) ?? new Map<number, number>();
      // A histogram resets as a whole: if any of its buckets fell, all of them started again from zero.
      const reset = [...buckets].some(([le, count]) => count < (before.get(le) ?? 0));
      for (const [le, count] of buckets) {
        const delta = reset ? count : count - (before.get(le) ?? 0);
        this.buckets.set(le, (this.buckets.get(le) ?? 0) + delta);
        if (le === Number.POSITIVE_INFINITY) this.observationRate += (delta * 1000) / intervalMs;
      }
    }
  }

  samples(): Sample[] {
    if (this.intervals === 0) return [];
    const out: Sample[] = [];
    if (this.params.error_ratio) {
      out.push({ name: 'request_rate', value: this.requestRate });
      // Errors and requests are separate counters and can disagree by a scrape race; a ratio above 1 means nothing.
      out.push({ name: 'error_ratio', value: this.requests > 0 ? Math.min(1, this.errors / this.requests) : 0 });
    }
    const latency = this.params.latency;
    if (latency) {
      if (!this.params.error_ratio) out.push({ name: 'request_rate', value: this.observationRate });
      const scale = (latency.unit ?? unitFromName(latency.histogram)) === 'seconds' ? 1000 : 1;
      const buckets: Bucket[] = [...this.buckets].map(([le, count]) => ({ le, count }));
      for (const q of latency.quantiles) {
        const v = histogramQuantile(q, buckets);
        // No observations in the interval: there is no latency to report, and NaN must never reach a rule.
        if (Number.isFinite(v)) out.push({ name: quantileSignalName(q), value: v * scale });
      }
    }
    return out;
  }
}

function sumDeltas(prev: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const [key, value] of current) sum += counterDelta(prev.get(key), value);
  return sum;
}

/** A counter that fell was reset (the process restarted): its new value is what accrued since. */
export function counterDelta(prev: number | undefined, current: number): number {
  if (prev === undefined) return current;
  return current >= prev ? current - prev : current;
}

function unitFromName(name: string): 'seconds' | 'milliseconds' {
  return /_(milliseconds|ms)$/.test(name) ? 'milliseconds' : 'seconds';
}
