import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { createMetrics, type EngineMetrics } from '../../src/metrics/metrics.js';
import { createNotifier } from '../../src/notify/notifier.js';
import { silentLogger } from '../../src/drivers/log.js';
import { havePrometheus, PROMTOOL } from '../support/processes.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`);

const runbook = `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high] }
risk: low
impact: none
rollback_plan: none
steps:
  - name: cool
    action: record
verify:
  timeout: 2s
  interval: 20ms
watch: { duration: 0s }
`;

function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

describe('/metrics', () => {
  let h: Harness;
  let metrics: EngineMetrics | undefined;
  afterEach(async () => {
    metrics?.close();
    await h?.close();
  });

  it('counts what the engine did: problems, executions by status, durations, open incidents, time to recover', async () => {
    h = await startHarness({ config, runbooks: [runbook], onRecord: (_p, w) => { w['cpu'] = 10; } });
    metrics = createMetrics(engineApi(h.engine), { processMetrics: false });
    const resolved = h.next('incident:resolved');
    h.world['cpu'] = 99;
    await resolved;
    await h.engine.idle();
    const text = await metrics.text();
    expect(text).toContain('medic_problems_detected_total{rule="cpu-high",severity="P2"} 1');
    expect(text).toContain('medic_executions_total{runbook="cool-down-web",status="succeeded"} 1');
    expect(text).toContain('medic_execution_duration_seconds_count{runbook="cool-down-web"} 1');
    expect(text).toContain('medic_time_to_recover_seconds_count 1');
    expect(text).toContain('medic_incidents_open{severity="P2"} 0');
    expect(text).toContain('medic_health_score{component="overall"} 100');
    expect(text).toContain('medic_health_score{component="compute"}');
    expect(text).toContain('medic_approvals_pending 0');
    expect(text).toContain('medic_alerts_received_total{source="alertmanager"} 0');
  });

  it('counts an automatic undo that worked, before the next strategy, as a succeeded rollback; one that failed as failed', async () => {
    const twoTries = `
name: cool-down-web
description: Make the CPU cool down, two ways.
match: { rules: [cpu-high] }
risk: low
impact: none
rollback_plan: each strategy's steps are undone before the next
strategies:
  - name: first
    steps:
      - { name: prepare, action: record, params: { id: prepare } }
      - { name: break, action: record, params: { id: break, fail: true } }
  - name: second
    steps:
      - { name: cool, action: record, params: { fix: true } }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;
    h = await startHarness({ config, runbooks: [twoTries], onRecord: (p, w) => { if (p['fix'] === true) w['cpu'] = 10; } });
    metrics = createMetrics(engineApi(h.engine), { processMetrics: false });
    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['cpu'] = 99;
    await done;
    expect(h.calls.map((c) => `${c.phase} ${String((c.params as Record<string, unknown>)['id'] ?? 'cool')}`))
      .toEqual(['execute prepare', 'execute break', 'rollback prepare', 'execute cool']);
    let text = await metrics.text();
    expect(text).toContain('medic_rollbacks_total{runbook="cool-down-web",result="succeeded"} 1');
    expect(text).not.toContain('result="failed"');
    expect(text).toContain('medic_executions_total{runbook="cool-down-web",status="succeeded"} 1');

    // An undo that fails: the execution stops there (a person looks), and the rollback counts as failed.
    metrics.close();
    await h.close();
    const badUndo = twoTries.replace('{ name: prepare, action: record, params: { id: prepare } }',
      '{ name: prepare, action: exec, params: { argv: ["true"], rollback_argv: ["false"] } }');
    h = await startHarness({ config, runbooks: [badUndo], onRecord: (p, w) => { if (p['fix'] === true) w['cpu'] = 10; } });
    metrics = createMetrics(engineApi(h.engine), { processMetrics: false });
    const failed = h.next('execution:transition', (e) => e.execution.status === 'failed');
    h.world['cpu'] = 99;
    await failed;
    text = await metrics.text();
    expect(text).toContain('medic_rollbacks_total{runbook="cool-down-web",result="failed"} 1');
    expect(text).not.toContain('result="succeeded"');
  });

  it('two engines in one process keep separate registries', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const other = await startHarness({ config, runbooks: [runbook] });
    try {
      metrics = createMetrics(engineApi(h.engine), { processMetrics: false });
      const second = createMetrics(engineApi(other.engine), { processMetrics: false });
      other.engine.events.emit('alerts:received', { source: 'webhook', received: 3, firing: 3, resolved: 0, deduplicated: 0, unrouted: 0 });
      expect(await second.text()).toContain('medic_alerts_received_total{source="webhook"} 3');
      expect(await metrics.text()).toContain('medic_alerts_received_total{source="webhook"} 0');
      second.close();
    } finally {
      await other.close();
    }
  });

  it.skipIf(!havePrometheus())('`promtool check metrics` accepts what GET /metrics serves, process metrics and notification counters included', async () => {
    h = await startHarness({ config, runbooks: [runbook], onRecord: (_p, w) => { w['cpu'] = 10; } });
    const notifier = createNotifier([{ type: 'console', name: 'ops', events: null, minSeverity: 'P3', retries: 0, timeoutMs: 1000 }], silentLogger, {
      createChannel: (c) => ({ name: c.name, send: async () => { throw new Error('down'); } }),
    });
    metrics = createMetrics(engineApi(h.engine), { notifier });
    const app = buildServer({ engine: engineApi(h.engine), metrics, notifier });
    try {
      const resolved = h.next('incident:resolved');
      h.world['cpu'] = 99;
      await resolved;
      notifier.notify({ event: 'fixed', severity: 'P2', title: 't', text: '' });
      await notifier.flush();
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.body).toContain('process_resident_memory_bytes');
      expect(res.body).toContain('medic_notifications_total{channel="ops",type="console",result="failed"} 1');
      const check = await promtool(['check', 'metrics'], res.body);
      expect(check.out).toBe('');
      expect(check.code).toBe(0);
    } finally {
      await app.close();
    }
  });

  it.skipIf(!havePrometheus())('`promtool check rules` accepts the example alerting rules for Medic', async () => {
    const check = await promtool(['check', 'rules', join(import.meta.dirname, '..', '..', 'examples', 'prometheus', 'medic-alerts.yml')]);
    expect(check.out).toContain('SUCCESS: 6 rules found');
    expect(check.code).toBe(0);
  });
});
