import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRuntime, type Runtime } from '../../src/cli/runtime.js';
import { compileConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/drivers/log.js';
import { builtinProbes } from '../../src/probes/index.js';
import { ALERTMANAGER, PROMETHEUS, freePort, havePrometheus, startProgram, until, type Started } from '../support/processes.js';

/**
 * The whole chain with the real programs: Prometheus scrapes the demo service
 * and Medic, an alerting rule fires when a fault is injected into the demo,
 * Alertmanager posts the alert to Medic, Medic runs the routed runbook (which
 * clears the fault), Prometheus resolves the alert, Alertmanager says so, and
 * the incident resolves. Short intervals everywhere; bounded in time.
 */
const SECRET = 'e2e-alertmanager-secret-0123456789';
const ROOT = join(import.meta.dirname, '..', '..');

describe.skipIf(!havePrometheus())('with Prometheus and Alertmanager', () => {
  let dir: string;
  let rt: Runtime;
  const programs: Started[] = [];
  let demoUrl: string;
  let promUrl: string;
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-prom-'));
    const [demoPort, promPort, amPort] = [await freePort(), await freePort(), await freePort()];
    demoUrl = `http://127.0.0.1:${demoPort}`;
    promUrl = `http://127.0.0.1:${promPort}`;
    programs.push(startProgram(process.execPath, [join(ROOT, 'dist', 'demo', 'server.js')], { log: join(dir, 'demo.log'), env: { ...process.env, PORT: String(demoPort) } }));

    writeFileSync(join(dir, 'clear-demo-faults.yaml'), `
name: clear-demo-faults
description: Clear the demo's injected faults.
match: { rules: [demo-error-alert] }
risk: low
impact: The demo's faults stop.
rollback_plan: Nothing to undo.
approval: auto
steps:
  - name: stop-all
    action: http.request
    params: { url: "${demoUrl}/fault/stop-all", method: POST }
verify:
  timeout: 60s
  interval: 250ms
watch: { duration: 0s }
`);
    const config = compileConfig(`
server: { port: 0 }
storage: { data_dir: ${join(dir, 'data')} }
policy:
  settle: 0s
targets:
  - name: demo
intake:
  alertmanager: { secret: ${SECRET} }
  routes:
    - matchers: ['alertname="DemoHighErrorRate"', 'job="demo"']
      rule: demo-error-alert
      target: demo
      runbook: clear-demo-faults
runbooks: { paths: [clear-demo-faults.yaml] }
notify: { channels: [] }
`, join(dir, 'medic.yaml'), { probes: builtinProbes });
    rt = await startRuntime(config, { log: silentLogger });
    const medicPort = new URL(rt.url).port;

    writeFileSync(join(dir, 'rules.yml'), `
groups:
  - name: demo
    interval: 1s
    rules:
      - alert: DemoHighErrorRate
        expr: rate(demo_request_errors_total{job="demo"}[4s]) / rate(demo_requests_total{job="demo"}[4s]) > 0.2
        labels: { severity: warning }
        annotations: { summary: "demo answers errors" }
`);
    writeFileSync(join(dir, 'prometheus.yml'), `
global: { scrape_interval: 500ms, evaluation_interval: 1s, scrape_timeout: 400ms }
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]
scrape_configs:
  - job_name: demo
    static_configs: [{ targets: ['127.0.0.1:${demoPort}'] }]
  - job_name: medic
    static_configs: [{ targets: ['127.0.0.1:${medicPort}'] }]
`);
    writeFileSync(join(dir, 'alertmanager.yml'), `
route:
  receiver: medic
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: medic
    webhook_configs:
      - url: http://127.0.0.1:${medicPort}/api/v1/intake/alertmanager
        send_resolved: true
        http_config:
          authorization: { type: Bearer, credentials: ${SECRET} }
`);
    programs.push(startProgram(ALERTMANAGER, [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
    ], { log: join(dir, 'alertmanager.log'), cwd: dir }));
    programs.push(startProgram(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'prom')}`,
      `--web.listen-address=127.0.0.1:${promPort}`, '--rules.alert.resend-delay=1s',
    ], { log: join(dir, 'prometheus.log'), cwd: dir }));

    // Requests for the error ratio to be made of.
    traffic = setInterval(() => void fetch(`${demoUrl}/`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.arrayBuffer()).catch(() => undefined), 20);
    await until('Prometheus to scrape the demo and Medic', async () => {
      const body = await (await fetch(`${promUrl}/api/v1/targets`)).json() as { data: { activeTargets: { labels: { job: string }; health: string }[] } };
      const up = body.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job).sort();
      return up.join(',') === 'demo,medic';
    }, 40_000);
  }, 60_000);

  afterAll(async () => {
    clearInterval(traffic);
    for (const p of programs.reverse()) await p.stop();
    await rt?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('a demo fault fires an alert, Alertmanager posts it, Medic runs the routed runbook, the alert and the incident resolve', async () => {
    const opened = rt.engine.events.waitFor('incident:opened', (e) => e.incident.rule === 'demo-error-alert', 45_000);
    const resolved = rt.engine.events.waitFor('incident:resolved', (e) => e.incident.rule === 'demo-error-alert', 90_000);
    await fetch(`${demoUrl}/fault/errors?rate=0.9&duration=300`, { method: 'POST' }).then((r) => r.arrayBuffer());

    const { incident } = await opened;
    expect(incident).toMatchObject({ target: 'demo', source: 'alert', severity: 'P2' });
    const { why } = await resolved;
    expect(why).toMatch(/^fixed by clear-demo-faults/);
    const executions = await rt.engine.store.executions.list({ incidentId: incident.id });
    expect(executions.items.map((e) => [e.runbook, e.status])).toEqual([['clear-demo-faults', 'succeeded']]);

    const alerts = await rt.engine.store.alerts.list({ limit: 500, order: 'asc' });
    expect(alerts.items.map((a) => a.outcome)).toContain('firing');
    expect(alerts.items.map((a) => a.outcome)).toContain('resolved');
    expect(alerts.items.every((a) => a.source === 'alertmanager' && a.sender === 'alertmanager-secret receiver:medic')).toBe(true);
  }, 120_000);

  it('Prometheus scrapes Medic\'s /metrics: target up, and it sees the alerts Medic received', async () => {
    const query = async (expr: string) => {
      const body = await (await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).json() as { data: { result: { value: [number, string] }[] } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    expect(await query('up{job="medic"}')).toEqual([1]);
    await until('medic_alerts_received_total in Prometheus', async () => ((await query('medic_alerts_received_total{job="medic",source="alertmanager"}'))[0] ?? 0) > 0, 10_000);
    const own = await (await fetch(`${rt.url}/metrics`)).text();
    expect(own).toContain('medic_executions_total{runbook="clear-demo-faults",status="succeeded"} 1');
    await until('medic_executions_total in Prometheus', async () => (await query('medic_executions_total{job="medic",runbook="clear-demo-faults",status="succeeded"}'))[0] === 1, 10_000);
  }, 30_000);

  it('the prometheus probe queries the same server; a bad query and a server that is down say so', async () => {
    const { instantQuery } = await import('../../src/probes/prometheus.js');
    const samples = await instantQuery(promUrl, { name: 'demo_up', expr: 'up{job="demo"}' }, {}, 2_000, AbortSignal.timeout(2_000));
    expect(samples).toEqual([{ name: 'demo_up', value: 1, labels: { __name__: 'up', instance: expect.stringMatching(/^127\.0\.0\.1:/), job: 'demo' } }]);
    await expect(instantQuery(promUrl, { name: 'bad', expr: 'rate(up[' }, {}, 2_000, AbortSignal.timeout(2_000)))
      .rejects.toThrow(/query bad failed \(HTTP 400, bad_data\): .*parse error/);
    await expect(instantQuery(promUrl, { name: 'range', expr: 'up[1m]' }, {}, 2_000, AbortSignal.timeout(2_000)))
      .rejects.toThrow(/returned a matrix/);
    const closed = await freePort();
    await expect(instantQuery(`http://127.0.0.1:${closed}`, { name: 'x', expr: 'up' }, {}, 2_000, AbortSignal.timeout(2_000)))
      .rejects.toThrow(`prometheus http://127.0.0.1:${closed}/ is unreachable: ECONNREFUSED`);
  });
});
