import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution, Incident, StepRecord } from '../../src/core/records.js';
import { startReceiver } from '../notify/receiver.js';
import { ROOT, startCli, stopChild } from '../support/cli.js';
import { freePort } from '../support/processes.js';

/**
 * A fix that makes things worse, against the real demo service and the built
 * `medic serve`: the runbook puts its drifted file back, then (the harmful
 * part) puts the app into 100 % errors, with a rollback step that clears the
 * fault. The watch must see it, the rollback must run, the app must be
 * healthy after, and the incident must end `escalated` with an `escalated`
 * notification, not resolved by its rule clearing. Ten rounds, one target
 * and one demo process each (app0..app9: a fresh app, so that the watch's
 * baseline is a healthy one); the even ones also have an error-rate rule of
 * their own, whose new incident during the watch is the fix failing.
 */
const ROUNDS = 10;
const TOKEN = 'medic_harmful-fix-bootstrap-token-0123456789';

const runbook = (dir: string) => `
name: bad-fix
description: Puts the file back, and breaks the app.
match: { rules: [drifted] }
risk: low
impact: the app answers 500 to everything
rollback_plan: clear the fault
approval: auto
settle: 0s
steps:
  - name: put the file back
    action: exec
    params: { argv: [cp, "${dir}/desired.conf", "${dir}/{{ incident.target }}.conf"] }
  - name: break the app
    action: http.request
    params: { method: POST, url: "http://127.0.0.1:{{ target.labels.port }}/fault/errors?rate=1&duration=300", expect_status: 202 }
    rollback: { action: http.request, params: { method: POST, url: "http://127.0.0.1:{{ target.labels.port }}/fault/stop-all" } }
verify: { timeout: 5s, interval: 50ms }
watch: { duration: 8s, error_rate: { signal: error_ratio, factor: 2 }, latency: false, health: false }
`;

const config = (ports: readonly number[], dir: string, webhook: string) => `
server: { host: 127.0.0.1, port: 0 }
storage: { data_dir: "${dir}/data" }
policy:
  cooldown: 0s
  settle: 0s
  rate_limits: { global_per_minute: 1000, global_per_hour: 10000, per_target_per_hour: 1000 }
  blast_radius: { targets_per_hour: 100 }
targets:
${range().map((i) => `  - { name: app${i}, labels: { port: "${ports[i]}" } }`).join('\n')}
probes:
${range().map((i) => `  - { name: drift${i}, type: drift, target: app${i}, interval: 100ms, params: { path: "${dir}/app${i}.conf", desired_path: "${dir}/desired.conf" } }
  - { name: metrics${i}, type: prometheus_text, target: app${i}, interval: 200ms, timeout: 150ms, params: { url: "http://127.0.0.1:${ports[i]}/metrics", error_ratio: { errors: demo_request_errors_total, requests: demo_requests_total } } }`).join('\n')}
rules:
  - name: drifted
    severity: P2
    condition: { signal: drift, fn: last, gt: 0 }
    runbooks: [bad-fix]
  - name: app-errors
    targets: [${range().filter((i) => i % 2 === 0).map((i) => `app${i}`).join(', ')}]
    severity: P2
    condition: { signal: error_ratio, fn: avg, window: 1s, gt: 0.2 }
runbooks:
  paths: ["${dir}/runbook.yaml"]
notify:
  channels:
    - { type: webhook, url: "${webhook}", events: [escalated] }
`;

function range(): number[] {
  return Array.from({ length: ROUNDS }, (_, i) => i);
}

let dir: string;
const demos: ChildProcess[] = [];
const ports: number[] = [];
let traffic: NodeJS.Timeout | undefined;

async function startDemo(): Promise<number> {
  const port = await freePort();
  const demo = spawn(process.execPath, [join(ROOT, 'dist', 'demo', 'server.js')], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  demos.push(demo);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('demo service listening')) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
  });
  return port;
}

/** Traffic for the error ratio of the app under test: a request every 10 ms. */
function trafficTo(port: number): void {
  if (traffic) clearInterval(traffic);
  traffic = setInterval(() => void fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer()).catch(() => undefined), 10);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'medic-harmful-'));
  ports.push(...(await Promise.all(range().map(() => startDemo()))));
});

afterAll(async () => {
  if (traffic) clearInterval(traffic);
  await Promise.all(demos.map((d) => stopChild(d)));
  rmSync(dir, { recursive: true, force: true });
});

async function api<T>(url: string, path: string): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as T;
}

async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('a fix that makes things worse', () => {
  it(`is rolled back, the app is healthy, and the incident ends escalated with a notification, ${ROUNDS} of ${ROUNDS}`, async () => {
    const receiver = await startReceiver();
    writeFileSync(join(dir, 'desired.conf'), 'good\n');
    for (const i of range()) writeFileSync(join(dir, `app${i}.conf`), 'good\n');
    writeFileSync(join(dir, 'runbook.yaml'), runbook(dir));
    writeFileSync(join(dir, 'medic.yaml'), config(ports, dir, receiver.url));
    const medic = await startCli(['serve', '--config', join(dir, 'medic.yaml'), '--log-level', 'error'], /serving on (http:\/\/\S+)/,
      { timeoutMs: 20_000, env: { MEDIC_BOOTSTRAP_TOKEN: TOKEN } });
    const url = medic.match[1]!;
    let good = 0;
    try {
      for (const i of range()) {
        const target = `app${i}`;
        const demoUrl = `http://127.0.0.1:${ports[i]}`;
        trafficTo(ports[i]!);
        writeFileSync(join(dir, `${target}.conf`), 'drifted\n');
        const execution = await until(`the execution on ${target}`, async () => {
          const page = await api<{ items: Execution[] }>(url, `/executions?target=${target}`);
          const e = page.items[0];
          return e && ['succeeded', 'failed', 'rolled_back'].includes(e.status) ? e : undefined;
        });
        expect(execution.status, `${target}: ${execution.error}`).toBe('rolled_back');
        const { steps } = await api<{ steps: StepRecord[] }>(url, `/executions/${execution.id}`);
        expect(steps.filter((s) => s.phase === 'rollback').map((s) => [s.name, s.status])).toEqual([
          ['undo: break the app', 'rolled_back'], ['undo: put the file back', 'skipped'],
        ]);
        // The app is healthy: the fault is gone, / answers 200.
        const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(`${demoUrl}/`).then((r) => r.status)));
        expect(answers.every((s) => s === 200)).toBe(true);
        expect((await fetch(`${demoUrl}/health`)).status).toBe(200);
        const note = await until(`the escalated notification for ${target}`, async () => receiver.got
          .map((r) => JSON.parse(r.body) as Record<string, string>)
          .find((b) => b.event === 'escalated' && b.incidentId === execution.incidentId));
        expect(note.text).toMatch(/bad-fix rolled_back: watch: /);
        // Its rule (drifted) cleared at the first step: the incident stays with a person all the same.
        await new Promise((r) => setTimeout(r, 300));
        const incident = await api<Incident>(url, `/incidents/${execution.incidentId}`);
        expect(incident.status).toBe('escalated');
        good++;
      }
    } finally {
      await stopChild(medic.child);
      await receiver.close();
    }
    expect(good).toBe(ROUNDS);
  }, 120_000);
});
