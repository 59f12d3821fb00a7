import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution, StepRecord } from '../../src/core/records.js';
import { ROOT, startCli, stopChild } from '../support/cli.js';
import { openSse, type SseStream } from '../support/sse.js';
import { freePorts } from '../supervisor/helpers.js';

/**
 * `medic serve` (the built CLI) supervising five real replicas of the demo
 * service on free ports. One replica hangs (`/fault/hang`): its health check
 * times out. That replica, and only it, gets one restart; the other four keep
 * their processes. Starts are counted from each replica's own log, where the
 * demo service writes a line every time it starts listening.
 */
const REPLICAS = 5;
const BAD = 2;
const TOKEN = 'medic_replica-test-bootstrap-token-0123456789';

const runbook = `
name: restart-web
description: Restart what is unhealthy.
match: { rules: [web-unhealthy] }
risk: low
impact: one replica restarts
rollback_plan: nothing to undo
approval: auto
settle: 50ms
steps:
  - { name: restart, action: process.restart, params: { target: "{{ incident.target }}" }, timeout: 15s }
verify: { timeout: 10s, interval: 50ms }
watch: { duration: 0s }
`;

const config = (dir: string, port: number) => `
server: { host: 127.0.0.1, port: 0 }
storage: { data_dir: "${dir}/data" }
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
targets:
  - name: web
    process:
      cwd: ${ROOT}
      command: node
      args: [dist/demo/server.js]
      env: { PORT: "{{port}}" }
      port: ${port}
      replicas: ${REPLICAS}
      ready: { url: "http://127.0.0.1:{{port}}/health", timeout: 10s, interval: 20ms }
      grace: 500ms
probes:
  - { name: web-health, type: http, target: web, interval: 100ms, timeout: 200ms, params: { url: "http://127.0.0.1:{{port}}/health" } }
  - { name: web-process, type: process, target: web, interval: 500ms }
rules:
  - name: web-unhealthy
    targets: [web]
    severity: P1
    condition: { signal: http_up, fn: max, samples: 3, lt: 1 }
    runbooks: [restart-web]
runbooks:
  paths: [${dir}/restart-web.yaml]
`;

const auth = { authorization: `Bearer ${TOKEN}` };

async function pidOf(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) });
  return ((await res.json()) as { pid: number }).pid;
}

/** How many times the replica's process started listening, from its log in the data dir. */
function starts(dir: string, replica: number): number {
  const log = readFileSync(join(dir, 'data', 'logs', `web.${replica}.log`), 'utf8');
  return log.split('\n').filter((l) => l.includes('demo service listening')).length;
}

describe('one bad replica out of five', () => {
  let dir: string;
  let ports: number[];
  let medic: { child: ChildProcess; url: string };
  let events: SseStream;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-replicas-'));
    ports = await freePorts(REPLICAS);
    writeFileSync(join(dir, 'restart-web.yaml'), runbook);
    writeFileSync(join(dir, 'medic.yaml'), config(dir, ports[0]!));
    const { child, match } = await startCli(['serve', '--config', join(dir, 'medic.yaml'), '--log-level', 'error'], /serving on (http:\/\/\S+)/,
      { timeoutMs: 30_000, env: { MEDIC_BOOTSTRAP_TOKEN: TOKEN } });
    medic = { child, url: match[1]! };
    events = await openSse(`${medic.url}/api/v1/events`, auth);
  }, 60_000);

  afterAll(async () => {
    events?.close();
    if (medic) await stopChild(medic.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets one restart of that replica; the other four keep their pids', async () => {
    const before = await Promise.all(ports.map(pidOf));
    const resolved = events.next((f) => f.event === 'incident' && f.data?.['change'] === 'resolved', 45_000);
    const hang = await fetch(`http://127.0.0.1:${ports[BAD]}/fault/hang`, { method: 'POST' });
    expect(hang.status).toBe(202);

    const incident = (await resolved).data!;
    expect(incident['rule']).toBe('web-unhealthy');
    expect(incident['labels']).toEqual({ replica: String(BAD) });
    expect(incident['why']).toMatch(/^fixed by restart-web/);

    const after = await Promise.all(ports.map(pidOf));
    expect(after.filter((pid, i) => pid === before[i])).toHaveLength(REPLICAS - 1);
    expect(after[BAD]).not.toBe(before[BAD]);
    expect(ports.map((_, i) => starts(dir, i))).toEqual(ports.map((_, i) => (i === BAD ? 2 : 1)));

    // One incident, one execution, one restart step, and it named the replica.
    const incidents = (await (await fetch(`${medic.url}/api/v1/incidents`, { headers: auth })).json()) as { items: unknown[] };
    expect(incidents.items).toHaveLength(1);
    const executions = (await (await fetch(`${medic.url}/api/v1/executions`, { headers: auth })).json()) as { items: Execution[] };
    expect(executions.items.map((e) => e.status)).toEqual(['succeeded']);
    const detail = (await (await fetch(`${medic.url}/api/v1/executions/${executions.items[0]!.id}`, { headers: auth })).json()) as { steps: StepRecord[] };
    const restart = detail.steps.filter((s) => s.action === 'process.restart');
    expect(restart).toHaveLength(1);
    expect(restart[0]!.output ?? '').toMatch(new RegExp(`restarted web replica ${BAD} in `));
  }, 60_000);
});
