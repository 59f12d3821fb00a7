import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { demoSpec, ensureDemoBuilt, eventually, freePort, harness, nextEvent, target } from '../supervisor/helpers.js';

beforeAll(async () => {
  await ensureDemoBuilt();
}, 120_000);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

interface Demo {
  supervisor: Supervisor;
  port: number;
  pid: number;
  dataDir: string;
  url: (p: string) => string;
}

async function startDemo(graceMs = 2000): Promise<Demo> {
  const port = await freePort();
  const h = harness({ demo: target('demo', demoSpec(port, { graceMs })) });
  cleanups.push(h.cleanup);
  await h.supervisor.start('demo');
  const pid = h.supervisor.status('demo')!.replicas[0]!.pid!;
  return { supervisor: h.supervisor, port, pid, dataDir: h.dataDir, url: (p) => `http://127.0.0.1:${port}${p}` };
}

async function call(url: string, opts: { method?: string; timeoutMs?: number } = {}) {
  const res = await fetch(url, { method: opts.method ?? 'GET', signal: AbortSignal.timeout(opts.timeoutMs ?? 3000) });
  return { status: res.status, body: await res.text() };
}

/** Resolves to 'timeout' when the service does not answer in time. */
async function callOrTimeout(url: string, timeoutMs: number) {
  return call(url, { timeoutMs }).then((r) => r.status, (err: Error) => (err.name === 'TimeoutError' ? 'timeout' : err.message));
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"+]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in metrics`);
  return Number(m[1]);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

describe('demo service', () => {
  it('answers /, /health and /metrics, and counts requests to /', async () => {
    const d = await startDemo();
    expect(await call(d.url('/health'))).toEqual({ status: 200, body: '{"status":"ok"}' });
    const root = await call(d.url('/'));
    expect(root.status).toBe(200);
    expect(JSON.parse(root.body)).toMatchObject({ pid: d.pid });
    await call(d.url('/'));
    const text = (await call(d.url('/metrics'))).body;
    expect(metric(text, 'demo_requests_total')).toBe(2);
    expect(metric(text, 'demo_request_errors_total')).toBe(0);
    expect(metric(text, 'demo_request_duration_seconds_count')).toBe(2);
    expect(metric(text, 'demo_request_duration_seconds_bucket{le="0.005"}')).toBeLessThanOrEqual(2);
    expect(metric(text, 'demo_request_duration_seconds_bucket{le="10"}')).toBe(2);
    expect(metric(text, 'demo_request_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(metric(text, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(text).toContain('# TYPE demo_request_duration_seconds histogram');
  });

  it('fails the asked share of requests to / under the errors fault, and counts them', async () => {
    const d = await startDemo();
    expect((await call(d.url('/fault/errors?rate=0.5&duration=30'), { method: 'POST' })).status).toBe(202);
    const statuses = [];
    for (let i = 0; i < 40; i++) statuses.push((await call(d.url('/'))).status);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThanOrEqual(16);
    expect(failed).toBeLessThanOrEqual(24);
    expect((await call(d.url('/health'))).status).toBe(200);
    const text = (await call(d.url('/metrics'))).body;
    expect(metric(text, 'demo_requests_total')).toBe(40);
    expect(metric(text, 'demo_request_errors_total')).toBe(failed);
    await call(d.url('/fault/stop-all'), { method: 'POST' });
    expect((await call(d.url('/'))).status).toBe(200);
  });

  it('delays / but not /health under the latency fault', async () => {
    const d = await startDemo();
    await call(d.url('/fault/latency?ms=600&duration=30'), { method: 'POST' });
    const slow = await timed(() => call(d.url('/')));
    expect(slow.value.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(595);
    const health = await timed(() => call(d.url('/health')));
    expect(health.ms).toBeLessThan(300);
    const text = (await call(d.url('/metrics'))).body;
    expect(metric(text, 'demo_request_duration_seconds_bucket{le="0.5"}')).toBe(0);
    expect(metric(text, 'demo_request_duration_seconds_bucket{le="1"}')).toBe(1);
  });

  it('stops answering / and /health under the hang fault, until stop-all', async () => {
    const d = await startDemo();
    expect((await call(d.url('/fault/hang'), { method: 'POST' })).status).toBe(202);
    expect(await callOrTimeout(d.url('/health'), 300)).toBe('timeout');
    expect(await callOrTimeout(d.url('/'), 300)).toBe('timeout');
    expect((await call(d.url('/metrics'))).body).toContain('demo_fault_active{fault="hang"} 1');
    await call(d.url('/fault/stop-all'), { method: 'POST' });
    expect((await call(d.url('/health'))).status).toBe(200);
  });

  it('blocks the event loop with hang?block=1, so only SIGKILL ends it', async () => {
    const d = await startDemo(300);
    await call(d.url('/fault/hang?block=1'), { method: 'POST' });
    expect(await callOrTimeout(d.url('/metrics'), 300)).toBe('timeout');
    const exit = nextEvent(d.supervisor, 'exit');
    await d.supervisor.stop('demo');
    expect(await exit).toMatchObject({ signal: 'SIGKILL', expected: true });
  });

  it('answers 202 to /fault/crash and then exits with code 1', async () => {
    const d = await startDemo();
    const exit = nextEvent(d.supervisor, 'exit');
    const res = await call(d.url('/fault/crash'), { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await exit).toMatchObject({ pid: d.pid, code: 1, expected: false });
    const log = path.join(d.dataDir, 'logs', 'demo.0.log');
    await eventually(() => (readFileSync(log, 'utf8').includes('"fault":"crash"') ? true : undefined), 'the fault to be logged');
  });

  it('burns about one core in a worker under the cpu fault, while still answering', async () => {
    const d = await startDemo();
    await call(d.url('/fault/cpu?duration=5'), { method: 'POST' });
    const before = cpuSeconds(d.pid);
    // An idle demo service uses a few ms of CPU a second; a whole core would take 0.5 s
    // here in half a second, a busy shared test machine takes longer.
    await eventually(() => (cpuSeconds(d.pid) - before >= 0.5 ? true : undefined), '0.5 s of CPU', 4000);
    const answer = await timed(() => call(d.url('/')));
    expect(answer.value.status).toBe(200);
    expect(answer.ms).toBeLessThan(1000);
    await call(d.url('/fault/stop-all'), { method: 'POST' });
    expect((await call(d.url('/metrics'))).body).toContain('demo_fault_active{fault="cpu"} 0');
  });

  it('grows resident memory under the leak fault', async () => {
    const d = await startDemo();
    const rss = async () => metric((await call(d.url('/metrics'))).body, 'process_resident_memory_bytes');
    const before = await rss();
    await call(d.url('/fault/leak?mb_per_s=100'), { method: 'POST' });
    await eventually(async () => ((await rss()) - before > 60 * 1024 * 1024 ? true : undefined), 'RSS to grow by 60 MB', 5000, 100);
    await call(d.url('/fault/stop-all'), { method: 'POST' });
  });

  it('rejects bad fault parameters and unknown faults', async () => {
    const d = await startDemo();
    expect((await call(d.url('/fault/errors?rate=2'), { method: 'POST' })).status).toBe(400);
    expect((await call(d.url('/fault/latency?ms=abc'), { method: 'POST' })).status).toBe(400);
    expect((await call(d.url('/fault/nope'), { method: 'POST' })).status).toBe(404);
    expect((await call(d.url('/nope'))).status).toBe(404);
  });

  it('exits 0 promptly on SIGTERM', async () => {
    const d = await startDemo();
    const exit = nextEvent(d.supervisor, 'exit');
    const stop = await timed(() => d.supervisor.stop('demo'));
    expect(await exit).toMatchObject({ code: 0, signal: null, expected: true });
    // Far below the 2 s grace: it left on SIGTERM by itself (~ms; the bound allows a busy machine).
    expect(stop.ms).toBeLessThan(1000);
  });

  it('exits 0 promptly on SIGTERM even with a request held open by a fault', async () => {
    const d = await startDemo();
    await call(d.url('/fault/latency?ms=10000'), { method: 'POST' });
    const pending = call(d.url('/'), { timeoutMs: 5000 }).catch(() => 'gone');
    const inFlight = async () => metric((await call(d.url('/metrics'))).body, 'demo_requests_in_flight');
    await eventually(async () => ((await inFlight()) === 1 ? true : undefined), 'the request to arrive', 2000, 10);
    const exit = nextEvent(d.supervisor, 'exit');
    const stop = await timed(() => d.supervisor.stop('demo'));
    expect(await exit).toMatchObject({ code: 0, expected: true });
    expect(stop.ms).toBeLessThan(1000);
    await pending;
  });
});

