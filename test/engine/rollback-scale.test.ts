import { afterEach, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { freePorts, harness, ROOT, TINY_SERVER } from '../supervisor/helpers.js';
import { startHarness, type Harness } from '../support/engine-harness.js';

const scaleUp = `
name: scale-up-web
description: More replicas for web.
match: { rules: [web-overloaded], targets: [web] }
risk: low
impact: Two more replicas of web.
rollback_plan: Back to the previous count.
steps:
  - name: scale
    action: process.scale
    params: { target: '{{ target.name }}', replicas: 3 }
verify:
  timeout: 5s
  interval: 20ms
watch: { duration: 0s }
`;

describe('rollback of a scale-up on a supervised target', () => {
  let h: Harness | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await h?.close();
    await cleanup?.();
  });

  it('scales web from 1 to 3 replicas, then rollbackExecution brings it back to 1', async () => {
    const [port] = await freePorts(3);
    let supervisor: Supervisor | undefined;
    const config = `
targets:
  - name: web
    process:
      command: ${JSON.stringify(process.execPath)}
      cwd: ${JSON.stringify(ROOT)}
      args: ['-e', ${JSON.stringify(TINY_SERVER)}]
      env: { PORT: '{{port}}' }
      port: ${port}
      replicas: 1
      max_replicas: 3
      grace: 1s
      ready: { url: 'http://127.0.0.1:{{port}}/', timeout: 10s, interval: 20ms }
`;
    h = await startHarness({
      config, runbooks: [scaleUp],
      supervisor: (c) => {
        const s = harness(c.targets);
        cleanup = s.cleanup;
        supervisor = s.supervisor;
        return s.supervisor;
      },
    });
    const sup = () => supervisor!.status('web')!;
    expect(sup().replicas.filter((r) => r.state === 'running')).toHaveLength(1);

    // A plan first: the action's own plan says what it would do, and no process and no row changes.
    const pids = sup().replicas.map((r) => r.pid);
    const auditBefore = (await h.engine.store.audit.list()).total;
    const plan = await h.engine.previewPlan({ runbook: 'scale-up-web', target: 'web' }, 'bob');
    expect(plan.steps[0]!.dryRun).toMatchObject({ summary: 'scale web from 1 to 3 replicas (start 2 more; max 3)' });
    expect(plan.verdict).toEqual({ kind: 'run', reason: 'auto: P3 runs at once' });
    expect(sup().replicas.map((r) => r.pid)).toEqual(pids);
    expect(sup().desired).toBe(1);
    expect((await h.engine.store.executions.list()).total).toBe(0);
    expect((await h.engine.store.audit.list()).total).toBe(auditBefore);

    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded', 20_000);
    const { execution } = await h.engine.runManual({ runbook: 'scale-up-web', target: 'web', reason: 'load test', dryRun: false }, 'bob');
    await done;
    await h.engine.idle();
    expect(sup().replicas.filter((r) => r.state === 'running')).toHaveLength(3);
    expect(await fetch(`http://127.0.0.1:${port! + 2}/`).then((r) => r.status)).toBe(200);

    const rolled = await h.engine.rollbackExecution(execution!.id, 'alice', 'load test over');
    expect(rolled.status).toBe('rolled_back');
    expect(sup().desired).toBe(1);
    expect(sup().replicas.filter((r) => r.state === 'running')).toHaveLength(1);
    await expect(fetch(`http://127.0.0.1:${port! + 2}/`)).rejects.toThrow();
    const steps = await h.engine.store.executions.steps(execution!.id);
    expect(steps.find((s) => s.phase === 'rollback')).toMatchObject({ status: 'rolled_back', output: expect.stringContaining('scaled web back from 3 to 1 replicas') });
    const audit = await h.engine.store.audit.list({ kind: 'rollback', actor: 'alice' });
    expect(audit.items.map((a) => a.result)).toEqual(['rolled_back', 'requested']);
  }, 30_000);
});
