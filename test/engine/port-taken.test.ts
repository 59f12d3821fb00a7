import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { eventually, freePort, harness, nextEvent, ROOT, TINY_SERVER } from '../supervisor/helpers.js';
import { startHarness, type Harness } from '../support/engine-harness.js';

const restartWeb = `
name: restart-web
description: Restart web.
match: { rules: [], targets: [web] }
risk: low
impact: web restarts.
rollback_plan: None.
steps:
  - name: restart
    action: process.restart
    params: { target: '{{ target.name }}' }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;

function webConfig(port: number): string {
  return `
targets:
  - name: web
    process:
      command: ${JSON.stringify(process.execPath)}
      cwd: ${JSON.stringify(ROOT)}
      args: ['-e', ${JSON.stringify(TINY_SERVER)}]
      env: { PORT: '{{port}}' }
      port: ${port}
      grace: 1s
      ready: { url: 'http://127.0.0.1:{{port}}/', timeout: 10s, interval: 20ms }
`;
}

/** Another process on the port, answering 200 to everything: what fooled readiness before. */
function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((_req, res) => res.end('ok'));
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('a restart onto a port another process holds', () => {
  let h: Harness | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  let holder: Server | undefined;
  afterEach(async () => {
    await h?.close();
    await cleanup?.();
    await new Promise((r) => (holder ? holder.close(r) : r(undefined)));
  });

  it('fails the restart step with the port and the holder, and records no success', async () => {
    const port = await freePort();
    let supervisor: Supervisor | undefined;
    h = await startHarness({
      config: webConfig(port), runbooks: [restartWeb], feed: false,
      supervisor: (c) => {
        const s = harness(c.targets);
        cleanup = s.cleanup;
        supervisor = s.supervisor;
        return s.supervisor;
      },
    });
    // web dies, and before anyone restarts it another process takes its port.
    const exited = nextEvent(supervisor!, 'exit');
    supervisor!.kill('web', 'SIGKILL');
    await exited;
    holder = await eventually(() => hold(port).then((s) => s, () => undefined), 'the port to be taken');

    const { execution } = await h.engine.runManual({ runbook: 'restart-web', target: 'web', reason: 'test', dryRun: false }, 'bob');
    await h.engine.idle();
    const final = (await h.engine.store.executions.get(execution!.id))!;
    expect(final.status).not.toBe('succeeded');
    const steps = await h.engine.store.executions.steps(execution!.id);
    const restart = steps.find((s) => s.phase === 'step' && s.name === 'restart')!;
    expect(restart.status).toBe('failed');
    expect(restart.error).toContain(`web[0]: port ${port} is already in use (held by pid ${process.pid}`);
    expect(steps.filter((s) => s.status === 'succeeded')).toEqual([]);
    const audit = await h.engine.store.audit.list({ subject: execution!.id });
    expect(audit.items.filter((a) => a.result === 'succeeded')).toEqual([]);
    expect(supervisor!.status('web')!.replicas[0]!.state).toBe('crashed');
  }, 30_000);
});
