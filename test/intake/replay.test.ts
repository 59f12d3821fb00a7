import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type MedicServer } from '../../src/api/server.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

const SECRET = 'am-shared-secret-0123456789';

const config = configYaml(`
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 100 }
intake:
  alertmanager: { secret: ${SECRET} }
  webhook: { secret: ${SECRET} }
  routes:
    - matchers: ['alertname="HighErrorRate"', 'job=~"web|api"']
      rule: web-errors
      target_label: service
      severity: P2
      runbook: fix-web-errors
`);

const runbook = `
name: fix-web-errors
description: Roll the web tier.
match: { rules: [web-errors] }
risk: low
impact: The web tier restarts.
rollback_plan: Nothing to undo.
inputs:
  labels.job: { pattern: '^[a-z]+$' }
steps:
  - name: roll
    action: record
    params: { what: roll, job: "{{ labels.job }}" }
verify:
  timeout: 10s
  interval: 20ms
watch: { duration: 0s }
`;

/** An Alertmanager v4 webhook payload exactly as Alertmanager 0.25 sends it. */
export function amPayload(status: 'firing' | 'resolved', opts: { externalURL?: string; startsAt?: string; instances?: string[] } = {}): Record<string, unknown> {
  const startsAt = opts.startsAt ?? '2026-11-29T18:00:00.000Z';
  const alerts = (opts.instances ?? ['10.0.0.1:80', '10.0.0.2:80']).map((instance, i) => ({
    status,
    labels: { alertname: 'HighErrorRate', job: 'web', service: 'web', instance, severity: 'warning' },
    annotations: { summary: `error ratio high on ${instance}` },
    startsAt,
    endsAt: status === 'resolved' ? '2026-11-29T18:05:00.000Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=job%3Aerrors%3Aratio+%3E+0.2',
    fingerprint: `a1b2c3d4e5f6a7b${i}`,
  }));
  return {
    receiver: 'medic',
    status,
    alerts,
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: { alertname: 'HighErrorRate', job: 'web', service: 'web', severity: 'warning' },
    commonAnnotations: {},
    externalURL: opts.externalURL ?? 'http://alertmanager-a:9093',
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
  };
}

describe('the same alert group replayed', () => {
  let h: Harness;
  let app: MedicServer;
  afterEach(async () => {
    await app?.close();
    await h?.close();
  });

  const post = (payload: unknown, auth = `Bearer ${SECRET}`) => app.inject({
    method: 'POST', url: '/api/v1/intake/alertmanager', headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(payload),
  });

  it('100 times, concurrently, from two Alertmanagers: one incident, exactly one execution; resolved resolves it', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    app = buildServer({ engine: engineApi(h.engine) });
    const created = h.next('execution:created');
    const sends = Array.from({ length: 100 }, (_, i) => post(amPayload('firing', { externalURL: i % 2 === 0 ? 'http://am-a:9093' : 'http://am-b:9093' })));
    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.statusCode)).toEqual(Array(100).fill(200));
    const { execution } = await created;
    expect(execution).toMatchObject({ runbook: 'fix-web-errors', target: 'web', severity: 'P2' });

    // Every alert of every delivery is stored: 100 deliveries × 2 alerts, 2 of them new.
    const stored = await h.engine.store.alerts.list({ limit: 500 });
    expect(stored.total).toBe(200);
    expect(stored.items.filter((a) => a.outcome === 'firing')).toHaveLength(2);
    expect(stored.items.filter((a) => a.outcome === 'duplicate')).toHaveLength(198);

    // Alertmanager resolves the group (twice, from both): the fix verifies and the incident resolves.
    const resolved = h.next('incident:resolved');
    await Promise.all([post(amPayload('resolved', { externalURL: 'http://am-a:9093' })), post(amPayload('resolved', { externalURL: 'http://am-b:9093' }))]);
    const { incident, why } = await resolved;
    expect(incident).toMatchObject({ rule: 'web-errors', target: 'web', source: 'alert', status: 'resolved' });
    expect(why).toMatch(/^fixed by fix-web-errors/);

    // A late retry of the old firing delivery is stale: nothing reopens, nothing runs again.
    expect((await post(amPayload('firing'))).json()).toMatchObject({ firing: 0, deduplicated: 2 });
    await h.engine.idle();
    const executions = await h.engine.store.executions.list({});
    expect(executions.items.map((e) => e.status)).toEqual(['succeeded']);
    // The labels all its alerts share are the incident's, for templates (instance differs, so it is not among them).
    expect(h.calls).toEqual([{ action: 'record', phase: 'execute', params: { what: 'roll', job: 'web' } }]);
    expect(incident.labels).toEqual({ alertname: 'HighErrorRate', job: 'web', service: 'web', severity: 'warning' });
    expect((await h.engine.store.incidents.list({})).total).toBe(1);
  }, 30_000);

  it('refuses a wrong secret and a payload that is not version 4, naming the field', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    app = buildServer({ engine: engineApi(h.engine) });
    const wrong = await post(amPayload('firing'), 'Bearer not-the-secret');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain(SECRET);
    expect((await post(amPayload('firing'), '')).statusCode).toBe(401);
    // An API token works instead of the secret, from the operator role up.
    const viewer = (await app.medic.tokens.create({ name: 'dash', role: 'viewer' }, 'test')).token;
    const operator = (await app.medic.tokens.create({ name: 'am-token', role: 'operator' }, 'test')).token;
    expect((await post(amPayload('resolved'), `Bearer ${viewer}`)).json().error).toMatchObject({ code: 'forbidden', details: { need: 'operator', have: 'viewer' } });
    expect((await post(amPayload('resolved'), `Bearer ${operator}`)).statusCode).toBe(200);
    expect((await h.engine.store.alerts.list({})).items.map((a) => a.sender)).toEqual(['am-token receiver:medic', 'am-token receiver:medic']);
    await h.engine.store.alerts.prune(Number.MAX_SAFE_INTEGER);
    const bad = await post({ ...amPayload('firing'), version: '3' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^body\.version: expected "4"/);
    const noLabels = await post({ ...amPayload('firing'), alerts: [{ status: 'firing', startsAt: 'yesterday', labels: {} }] });
    expect(noLabels.statusCode).toBe(400);
    expect(noLabels.json().error.message).toMatch(/^body\.alerts\.0\.startsAt: not an RFC 3339 time/);
    expect((await h.engine.store.alerts.list({})).total).toBe(0);
  });

  it('records an unrouted alert (stored, listed, counted), and the generic webhook routes the same way', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    app = buildServer({ engine: engineApi(h.engine) });
    const other = await app.inject({
      method: 'POST', url: '/api/v1/intake/webhook', headers: { authorization: `Bearer ${SECRET}` },
      payload: { alerts: [{ labels: { alertname: 'DiskFull', instance: 'db1' } }] },
    });
    expect(other.json()).toMatchObject({ received: 1, unrouted: 1, firing: 0 });
    expect((await app.inject({ method: 'GET', url: '/api/v1/intake/unrouted' })).statusCode).toBe(401);
    const viewer = (await app.medic.tokens.create({ name: 'v', role: 'viewer' }, 'test')).token;
    const unrouted = (await app.inject({ method: 'GET', url: '/api/v1/intake/unrouted', headers: { authorization: `Bearer ${viewer}` } })).json();
    expect(unrouted.items).toEqual([expect.objectContaining({ source: 'webhook', outcome: 'unrouted', labels: { alertname: 'DiskFull', instance: 'db1' }, reason: 'no route matches its labels' })]);

    const created = h.next('execution:created');
    const routed = await app.inject({
      method: 'POST', url: '/api/v1/intake/webhook', headers: { authorization: `Bearer ${SECRET}` },
      payload: { labels: { alertname: 'HighErrorRate', job: 'api', service: 'web' }, status: 'firing' },
    });
    expect(routed.json()).toMatchObject({ received: 1, firing: 1 });
    expect((await created).execution.runbook).toBe('fix-web-errors');
  });
});
