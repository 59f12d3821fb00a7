import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/demo.js';

const scaleRunbook = `
name: scale-demo
description: Add one replica of the demo service.
match: { rules: [demo-error-spike], targets: [demo] }
risk: low
impact: One more replica (more memory used).
rollback_plan: Scale back to the previous replica count.
approval: auto
settle: 100ms
steps:
  - name: add a replica
    action: process.scale
    params: { target: "{{ target.name }}", by: 1 }
    timeout: 15s
verify:
  checks:
    - { signal: http_up, fn: last, eq: 1 }
  timeout: 10s
  interval: 100ms
watch: { duration: 0s }
`;

/**
 * A rollback through the API, against the real demo service under the real
 * supervisor: a manual scale-up adds a replica, POST /executions/:id/rollback
 * (admin) takes it away again, a viewer cannot, and the audit log says who.
 */
describe('rolling back a finished execution through the API', () => {
  let dir: string;
  let rt: Awaited<ReturnType<typeof startDemo>>;
  let admin: string;
  let operator: string;
  let viewer: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-rollback-'));
    const runbooks = join(dir, 'runbooks');
    mkdirSync(runbooks);
    writeFileSync(join(runbooks, 'scale-demo.yaml'), scaleRunbook);
    rt = await startDemo({
      port: 0, demoPort: 0, dataDir: join(dir, 'data'), traffic: false,
      configure: (doc) => doc.setIn(['runbooks', 'paths'], [...(doc.getIn(['runbooks', 'paths']) as { toJSON(): string[] }).toJSON(), runbooks]),
    });
    admin = (await rt.server.medic.tokens.create({ name: 'carol', role: 'admin' }, 'test')).token;
    operator = (await rt.server.medic.tokens.create({ name: 'olga', role: 'operator' }, 'test')).token;
    viewer = (await rt.server.medic.tokens.create({ name: 'vic', role: 'viewer' }, 'test')).token;
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rt.url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
  };
  const replicas = () => rt.supervisor.status('demo')!.desired;

  it('restores the replica count a scale-up changed, refuses a viewer, and audits the admin', async () => {
    const before = replicas();
    const done = rt.engine.events.waitFor('execution:transition', (e) => e.execution.runbook === 'scale-demo' && e.execution.status === 'succeeded', 40_000);
    const run = await call(operator, 'POST', '/api/v1/executions', { runbook: 'scale-demo', target: 'demo', reason: 'load test', severity: 'P3' });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    const id = (run.body['execution'] as { id: string }).id;
    await done;
    expect(replicas()).toBe(before + 1);

    const refused = await call(viewer, 'POST', `/api/v1/executions/${id}/rollback`, { reason: 'not mine to undo' });
    expect(refused.status).toBe(403);
    expect(replicas()).toBe(before + 1);

    const rolled = await call(admin, 'POST', `/api/v1/executions/${id}/rollback`, { reason: 'the load test is over' });
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    expect(rolled.body).toMatchObject({ id, status: 'rolled_back' });
    expect(replicas()).toBe(before);

    const again = await call(admin, 'POST', `/api/v1/executions/${id}/rollback`, { reason: 'twice' });
    expect(again.status).toBe(409);

    const audit = await call(viewer, 'GET', `/api/v1/audit?kind=rollback&execution=${id}`);
    const items = audit.body['items'] as { actor: string; result: string; details: { reason: string } }[];
    expect(items.map((e) => [e.actor, e.result])).toEqual([['carol', 'rolled_back'], ['engine', 'rolled_back'], ['carol', 'requested']]);
    expect(items[0]!.details.reason).toBe('the load test is over');
    const steps = await call(viewer, 'GET', `/api/v1/executions/${id}`);
    expect((steps.body['steps'] as { phase: string; status: string }[]).filter((s) => s.phase === 'rollback').map((s) => s.status)).toEqual(['rolled_back']);
  }, 90_000);
});
