import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample } from '../../src/core/signal.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { ProbePlugin } from '../../src/probes/types.js';
import {
  counterDelta,
  createPrometheusTextProbe,
  quantileSignalName,
  type PrometheusTextParams,
} from '../../src/probes/prometheus-text.js';
import type { GroupStatus, SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

/** A /metrics endpoint whose text the test sets between checks. */
interface MetricsServer {
  port: number;
  text: string;
  status: number;
  close(): Promise<void>;
}

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function metricsServer(): Promise<MetricsServer> {
  const server = http.createServer((_req, res) => {
    res.statusCode = ms.status;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(ms.text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const ms: MetricsServer = {
    port: (server.address() as AddressInfo).port,
    text: '',
    status: 200,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  servers.push(ms);
  return ms;
}

const LE = ['0.1', '0.25', '0.5', '1', '+Inf'];

/** Exposition text in the shape the demo service serves. */
function exposition(m: { ok: number; failed: number; errors?: number; buckets: number[]; inFlight?: number }): string {
  const lines = [
    '# HELP app_requests_total Requests served.',
    '# TYPE app_requests_total counter',
    `app_requests_total{code="200",path="/"} ${m.ok}`,
    `app_requests_total{code="500",path="/"} ${m.failed}`,
  ];
  // Like real client libraries, the error series only exists once there has been an error.
  if (m.errors !== undefined) lines.push('# TYPE app_errors_total counter', `app_errors_total{kind="internal"} ${m.errors}`);
  lines.push('# TYPE app_request_duration_seconds histogram');
  m.buckets.forEach((count, i) => lines.push(`app_request_duration_seconds_bucket{path="/",le="${LE[i]}"} ${count}`));
  lines.push(`app_request_duration_seconds_sum{path="/"} 12.5`, `app_request_duration_seconds_count{path="/"} ${m.buckets[4]}`);
  if (m.inFlight !== undefined) lines.push('# TYPE app_in_flight gauge', `app_in_flight ${m.inFlight}`);
  return `${lines.join('\n')}\n`;
}

const PARAMS = {
  error_ratio: { errors: 'app_errors_total', requests: 'app_requests_total' },
  latency: { histogram: 'app_request_duration_seconds', quantiles: [0.5, 0.95] },
  gauges: { in_flight: 'app_in_flight' },
};

function supervisorWith(groups: Record<string, GroupStatus>): SupervisorPort {
  return { status: (t: string) => groups[t] } as unknown as SupervisorPort;
}

function harness(url: string, opts: { params?: Record<string, unknown>; supervisor?: SupervisorPort; plugin?: ProbePlugin<PrometheusTextParams>; name?: string } = {}) {
  const plugin = opts.plugin ?? createPrometheusTextProbe();
  const clock = new FakeClock();
  const raw = { url, ...(opts.params ?? PARAMS) };
  const probe: ProbeConfig = { name: opts.name ?? 'metrics', type: 'prometheus_text', target: 'demo', intervalMs: 500, timeoutMs: 400, params: raw };
  const target: TargetConfig = { name: 'demo', labels: {}, process: null };
  const check = async (): Promise<Record<string, number>> => {
    const samples: Sample[] = await plugin.check!({
      probe,
      params: plugin.schema.parse(raw),
      target,
      clock,
      signal: new AbortController().signal,
      log: silentLogger,
      supervisor: opts.supervisor ?? supervisorWith({}),
    });
    // A replica's samples read as `name{replica=i}`, the group's as `name`.
    return Object.fromEntries(samples.map((s) => [s.labels ? `${s.name}{replica=${s.labels['replica']}}` : s.name, s.value]));
  };
  return { clock, check };
}

describe('prometheus_text probe', () => {
  it('emits only scrape_up and gauges on the first scrape: a rate needs two', async () => {
    const srv = await metricsServer();
    srv.text = exposition({ ok: 90, failed: 10, buckets: [50, 80, 95, 100, 100], inFlight: 3 });
    const { check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    expect(await check()).toEqual({ scrape_up: 1, in_flight: 3 });
  });

  it('computes request_rate, error_ratio and interpolated quantiles between two scrapes', async () => {
    const srv = await metricsServer();
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = exposition({ ok: 90, failed: 10, buckets: [50, 80, 95, 100, 100] });
    await check();

    // 10 s later: 100 more requests over both label sets, 20 errors on a series that did not exist before.
    await clock.advance(10_000);
    srv.text = exposition({ ok: 170, failed: 30, errors: 20, buckets: [60, 90, 175, 199, 200] });
    const s = await check();
    expect(s['scrape_up']).toBe(1);
    expect(s['request_rate']).toBeCloseTo(10);
    expect(s['error_ratio']).toBeCloseTo(0.2);
    // Bucket deltas 10, 10, 80, 99, 100. p95: rank 95 lies in (0.5, 1] holding 19, 15 of them → 0.5 + 0.5 × 15/19.
    expect(s['latency_p95_ms']).toBeCloseTo((0.5 + 0.5 * (15 / 19)) * 1000, 6);
    // p50: rank 50 lies in (0.25, 0.5] holding 70, 40 of them → 0.25 + 0.25 × 40/70.
    expect(s['latency_p50_ms']).toBeCloseTo((0.25 + 0.25 * (40 / 70)) * 1000, 6);
  });

  it('takes a counter that went down (a restart) as counting from zero, never negative or huge', async () => {
    const srv = await metricsServer();
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = exposition({ ok: 900, failed: 100, errors: 100, buckets: [500, 800, 950, 1000, 1000] });
    await check();

    await clock.advance(10_000);
    srv.text = exposition({ ok: 25, failed: 5, errors: 3, buckets: [10, 20, 25, 30, 30] });
    const s = await check();
    expect(s['request_rate']).toBeCloseTo(3);
    expect(s['error_ratio']).toBeCloseTo(0.1);
    // The whole histogram restarted: rank 28.5 in (0.5, 1] holding 5, 3.5 of them.
    expect(s['latency_p95_ms']).toBeCloseTo(850, 6);
    expect(counterDelta(100, 3)).toBe(3);
    expect(counterDelta(undefined, 7)).toBe(7);
    expect(counterDelta(5, 9)).toBe(4);
  });

  it('reports no traffic as rate 0 and ratio 0, and no latency at all', async () => {
    const srv = await metricsServer();
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = exposition({ ok: 90, failed: 10, errors: 10, buckets: [50, 80, 95, 100, 100] });
    await check();
    await clock.advance(5_000);
    expect(await check()).toEqual({ scrape_up: 1, request_rate: 0, error_ratio: 0 });
  });

  it('reads a failed scrape as scrape_up 0 and keeps the baseline for the next good one', async () => {
    const srv = await metricsServer();
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = exposition({ ok: 100, failed: 0, buckets: [50, 80, 95, 100, 100], inFlight: 1 });
    await check();

    await clock.advance(5_000);
    srv.status = 503;
    expect(await check()).toEqual({ scrape_up: 0 });

    await clock.advance(5_000);
    srv.status = 200;
    srv.text = exposition({ ok: 200, failed: 0, buckets: [150, 180, 195, 200, 200], inFlight: 1 });
    const s = await check();
    expect(s['request_rate']).toBeCloseTo(10); // 100 requests over the 10 s since the last good scrape
  });

  it('reads unparseable text as scrape_up 0', async () => {
    const srv = await metricsServer();
    const { check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = 'app_requests_total{code="200" 5\n';
    expect(await check()).toEqual({ scrape_up: 0 });
  });

  it('reads an unreachable endpoint as scrape_up 0', async () => {
    const srv = await metricsServer();
    const port = srv.port;
    await servers.pop()!.close();
    const { check } = harness(`http://127.0.0.1:${port}/metrics`);
    expect(await check()).toEqual({ scrape_up: 0 });
  });

  it('starts afresh when the clock goes backwards instead of dividing by a negative interval', async () => {
    const srv = await metricsServer();
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`);
    srv.text = exposition({ ok: 100, failed: 0, buckets: [50, 80, 95, 100, 100] });
    await check();
    clock.set(clock.now() - 60_000);
    srv.text = exposition({ ok: 200, failed: 0, buckets: [150, 180, 195, 200, 200] });
    expect(await check()).toEqual({ scrape_up: 1 });
    await clock.advance(2_000);
    srv.text = exposition({ ok: 220, failed: 0, buckets: [170, 200, 215, 220, 220] });
    expect((await check())['request_rate']).toBeCloseTo(10);
  });

  it('sums across replicas, each against its own previous scrape', async () => {
    const a = await metricsServer();
    const b = await metricsServer();
    const supervisor = supervisorWith({
      demo: {
        target: 'demo',
        desired: 2,
        replicas: [a, b].map((s, index) => ({ index, port: s.port, pid: 1, state: 'running' as const, startedAt: 0, restarts: 0, lastExit: null })),
      },
    });
    const { clock, check } = harness('http://127.0.0.1:{{port}}/metrics', { supervisor });
    a.text = exposition({ ok: 100, failed: 0, buckets: [100, 100, 100, 100, 100], inFlight: 2 });
    b.text = exposition({ ok: 5000, failed: 0, errors: 0, buckets: [0, 0, 0, 5000, 5000], inFlight: 5 });
    expect(await check()).toEqual({ scrape_up: 1, in_flight: 7, 'scrape_up{replica=0}': 1, 'scrape_up{replica=1}': 1 });

    await clock.advance(10_000);
    a.text = exposition({ ok: 150, failed: 0, errors: 10, buckets: [150, 150, 150, 150, 150], inFlight: 2 });
    // Replica b restarted: its counters start again from zero.
    b.text = exposition({ ok: 50, failed: 0, errors: 15, buckets: [0, 0, 0, 50, 50], inFlight: 1 });
    const s = await check();
    expect(s['in_flight']).toBe(3);
    expect(s['request_rate']).toBeCloseTo(10); // (50 + 50) / 10 s
    expect(s['error_ratio']).toBeCloseTo(0.25); // (10 + 15) / 100
    // 50 fast (≤ 0.1 s) and 50 in (0.5, 1]: p95 rank 95 is 45 into the slow bucket of 50.
    expect(s['latency_p95_ms']).toBeCloseTo((0.5 + 0.5 * (45 / 50)) * 1000, 6);
    // And each replica on its own, so a rule can tell which one fails.
    expect(s['error_ratio{replica=0}']).toBeCloseTo(0.2); // 10 / 50
    expect(s['error_ratio{replica=1}']).toBeCloseTo(0.3); // 15 / 50
    expect(s['request_rate{replica=1}']).toBeCloseTo(5);
    expect(s['latency_p95_ms{replica=0}']).toBeLessThanOrEqual(100);
  });

  it('keeps the baselines of different probes apart although they share one plugin', async () => {
    const srv = await metricsServer();
    const plugin = createPrometheusTextProbe();
    const url = `http://127.0.0.1:${srv.port}/metrics`;
    const first = harness(url, { plugin, name: 'one' });
    srv.text = exposition({ ok: 100, failed: 0, buckets: [50, 80, 95, 100, 100] });
    await first.check();
    const second = harness(url, { plugin, name: 'two' });
    expect(await second.check()).toEqual({ scrape_up: 1 });
  });

  it('derives request_rate from the histogram when no counter pair is given, and honours a millisecond unit', async () => {
    const srv = await metricsServer();
    const params = { latency: { histogram: 'lat_ms', quantiles: [0.5] } };
    const { clock, check } = harness(`http://127.0.0.1:${srv.port}/metrics`, { params });
    const hist = (c: number[]): string => c.map((n, i) => `lat_ms_bucket{le="${['10', '100', '+Inf'][i]}"} ${n}`).join('\n');
    srv.text = hist([0, 0, 0]);
    await check();
    await clock.advance(4_000);
    srv.text = hist([20, 40, 40]);
    const s = await check();
    expect(s['request_rate']).toBeCloseTo(10);
    expect(s['latency_p50_ms']).toBeCloseTo(10); // rank 20 = the whole first bucket
  });

  it('names quantile signals after the percentile', () => {
    expect(quantileSignalName(0.95)).toBe('latency_p95_ms');
    expect(quantileSignalName(0.99)).toBe('latency_p99_ms');
    expect(quantileSignalName(0.999)).toBe('latency_p99_9_ms');
    expect(quantileSignalName(0.5)).toBe('latency_p50_ms');
  });

  it('validates params strictly', () => {
    const schema = createPrometheusTextProbe().schema;
    expect(schema.safeParse({ url: 'http://x/metrics', latency: { histogram: 'h', quantiles: [95] } }).success).toBe(false);
    expect(schema.safeParse({ url: 'http://x/metrics', error_ratio: { errors: 'e' } }).success).toBe(false);
    expect(schema.safeParse({ url: 'http://x/metrics', extra: true }).success).toBe(false);
    expect(schema.parse({ url: 'http://x/metrics', latency: { histogram: 'h' } }).latency?.quantiles).toEqual([0.95]);
  });
});
