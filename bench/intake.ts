/**
 * `npm run bench` (second part): Alertmanager intake.
 *
 *   batch 100   alerts/s accepted and stored, 100 alerts (distinct label sets) per request
 *   batch 1     alerts/s accepted and stored, one alert per request
 *   latency     from sending a routed alert to its runbook's first step starting
 *               (median and p99), one alert at a time, each on its own target
 *
 * Real HTTP on loopback to a real engine on a SQLite file (WAL); the load
 * comes from a worker thread. Every alert must be in the store afterwards.
 * Targets (issue 4): ≥ 20,000 alerts/s in batches of 100, ≥ 5,000 alerts/s one
 * per request, intake-to-action median < 20 ms and p99 < 100 ms.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startRuntime } from '../src/cli/runtime.js';
import { compileConfig } from '../src/config/load.js';
import { silentLogger } from '../src/drivers/log.js';
import { builtinProbes } from '../src/probes/index.js';
import type { ClientJob, ClientResult } from './intake-client.js';

const SECRET = 'bench-intake-secret-0123456789';
const BATCH_TOTAL = Number(process.env['BENCH_BATCH_ALERTS'] ?? 100_000);
const SINGLE_TOTAL = Number(process.env['BENCH_SINGLE_ALERTS'] ?? 20_000);
const LATENCY_RUNS = Number(process.env['BENCH_LATENCY_RUNS'] ?? 300);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'medic-bench-intake-'));
  await writeFile(join(dir, 'bench-first-step.yaml'), `
name: bench-first-step
description: A step that does nothing, for timing.
match: { rules: [bench-latency] }
risk: low
impact: none
rollback_plan: none
approval: auto
steps:
  - name: first
    action: notify
    params: { message: "bench" }
verify:
  timeout: 30s
  interval: 50ms
watch: { duration: 0s }
`);
  const config = compileConfig(`
server: { port: 0 }
storage: { data_dir: ${join(dir, 'data')} }
policy:
  settle: 0s
  cooldown: 0s
  max_concurrent: 1000
  rate_limits: { global_per_minute: 100000, global_per_hour: 1000000, per_target_per_hour: 100000 }
  blast_radius: { targets_per_hour: 1000000 }
# The latency alerts name their target by label; the intake routes only configured targets.
targets:
${Array.from({ length: LATENCY_RUNS + 20 }, (_, i) => `  - { name: lat-${i} }`).join('\n')}
intake:
  alertmanager: { secret: ${SECRET} }
  routes:
    - matchers: ['alertname="BenchLoad"']
      rule: bench-load
      target: bench
    - matchers: ['alertname="BenchLatency"']
      rule: bench-latency
      target_label: instance
      severity: P3
      runbook: bench-first-step
runbooks: { paths: [bench-first-step.yaml] }
notify: { channels: [] }
`, join(dir, 'medic.yaml'), { probes: builtinProbes });
  const rt = await startRuntime(config, { log: silentLogger });
  const url = `${rt.url}/api/v1/intake/alertmanager`;
  try {
    const rows: [string, string, string, string][] = [];
    const check = (name: string, value: number, unit: string, target: string, pass: boolean) => rows.push([name, `${fmt(value)} ${unit}`, target, pass ? 'PASS' : 'FAIL']);

    // Warm-up: JIT, the SQLite file, the connection pool.
    await load({ url, secret: SECRET, total: 5_000, batch: 100, concurrency: 4, prefix: 'warm' });

    let before = await stored(rt);
    const b100 = await load({ url, secret: SECRET, total: BATCH_TOTAL, batch: 100, concurrency: 8, prefix: 'b100' });
    const b100Stored = (await stored(rt)) - before;
    const b100Rate = BATCH_TOTAL / (b100.elapsedMs / 1000);
    check('batches of 100: alerts/s', b100Rate, '/s', '≥ 20,000', b100Rate >= 20_000 && b100.failed === 0 && b100Stored === BATCH_TOTAL);

    before = await stored(rt);
    const b1 = await load({ url, secret: SECRET, total: SINGLE_TOTAL, batch: 1, concurrency: 32, prefix: 'b1' });
    const b1Stored = (await stored(rt)) - before;
    const b1Rate = SINGLE_TOTAL / (b1.elapsedMs / 1000);
    check('one alert per request: alerts/s', b1Rate, '/s', '≥ 5,000', b1Rate >= 5_000 && b1.failed === 0 && b1Stored === SINGLE_TOTAL);

    const lat = await intakeToAction(rt, url);
    const med = percentile(lat, 0.5);
    const p99 = percentile(lat, 0.99);
    check('intake → first step: median', med, 'ms', '< 20 ms', med < 20);
    check('intake → first step: p99', p99, 'ms', '< 100 ms', p99 < 100);

    process.stdout.write('\nMedic Alertmanager intake benchmark\n\n');
    for (const [name, v, target, verdict] of rows) process.stdout.write(`${name.padEnd(36)} ${v.padStart(14)}   ${target.padEnd(10)} ${verdict}\n`);
    process.stdout.write(`\nbatch 100: ${BATCH_TOTAL} alerts in ${b100.requests} requests, ${fmt(b100.elapsedMs)} ms, stored ${b100Stored}, failed requests ${b100.failed}${b100.firstError ? ` (${b100.firstError})` : ''}\n`);
    process.stdout.write(`batch 1:   ${SINGLE_TOTAL} alerts in ${b1.requests} requests, ${fmt(b1.elapsedMs)} ms, stored ${b1Stored}, failed requests ${b1.failed}${b1.firstError ? ` (${b1.firstError})` : ''}\n`);
    process.stdout.write(`latency:   ${lat.length} alerts one at a time, min ${fmt(Math.min(...lat))} ms, max ${fmt(Math.max(...lat))} ms\n`);
    process.stdout.write('an answer is sent only after its alerts are stored; each alert has its own label set\n');
    if (rows.some((r) => r[3] === 'FAIL')) process.exitCode = 1;
  } finally {
    await rt.close();
    await rm(dir, { recursive: true, force: true });
  }
}

type Rt = Awaited<ReturnType<typeof startRuntime>>;

async function stored(rt: Rt): Promise<number> {
  return (await rt.engine.store.alerts.list({ limit: 0 })).total;
}

function load(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./intake-client.js', import.meta.url), { workerData: job });
    w.once('message', (r: ClientResult) => {
      resolve(r);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

/** One routed alert at a time, each for a new target: time until its runbook's first step starts. */
async function intakeToAction(rt: Rt, url: string): Promise<number[]> {
  const out: number[] = [];
  const headers = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };
  const body = (status: 'firing' | 'resolved', target: string) => JSON.stringify({
    receiver: 'medic', status, version: '4', groupKey: `{}:{instance="${target}"}`, truncatedAlerts: 0, externalURL: 'http://alertmanager:9093',
    groupLabels: {}, commonLabels: {}, commonAnnotations: {},
    alerts: [{ status, labels: { alertname: 'BenchLatency', instance: target }, annotations: {}, startsAt: '2026-11-29T18:00:00.000Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: `lat-${target}` }],
  });
  for (let i = 0; i < LATENCY_RUNS + 20; i++) {
    const target = `lat-${i}`;
    const started = rt.engine.events.waitFor('step:started', (e) => e.execution.target === target, 10_000).then(() => performance.now());
    const t0 = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body: body('firing', target) });
    await res.arrayBuffer();
    const at = await started;
    // The first 20 warm up.
    if (i >= 20) out.push(at - t0);
    await fetch(url, { method: 'POST', headers, body: body('resolved', target) }).then((r) => r.arrayBuffer());
  }
  await rt.engine.idle();
  return out;
}

function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
