import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../src/cli/demo.js';
import { calm, healthy, inject, type Demo } from '../support/demo.js';
import { runCli } from '../support/cli.js';

/**
 * Every fault the demo service can inject, against the real service under
 * the real engine with the shipped example config and runbooks: each is
 * detected by its rule and fixed by its runbook, and the service is healthy
 * afterwards. Real time, so each case waits on events with a deadline.
 */
describe('the demo fixes every fault it can inject', () => {
  let dir: string;
  let rt: Demo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'medic-e2e-faults-'));
    rt = await startDemo({
      port: 0, demoPort: 0, dataDir: join(dir, 'data'), traffic: true,
      // Six fixes back to back are more than the example's per-minute limit allows: that limit is tested elsewhere.
      configure: (doc) => doc.setIn(['policy', 'rate_limits', 'global_per_minute'], 100),
    });
  });

  afterAll(async () => {
    await rt?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { fault: 'crash', query: '', rule: 'demo-crashed', severity: 'P1', runbook: 'restart-demo' },
    { fault: 'hang', query: '', rule: 'demo-unhealthy', severity: 'P1', runbook: 'restart-demo' },
    { fault: 'errors', query: '?rate=0.6&duration=60', rule: 'demo-error-spike', severity: 'P2', runbook: 'fix-demo-errors' },
    { fault: 'latency', query: '?ms=800&duration=60', rule: 'demo-slow', severity: 'P2', runbook: 'restart-demo-slow' },
    // The slope rule sees a leak first; the size rule (inhibited_by the slope rule) adds no second incident.
    { fault: 'leak', query: '?mb_per_s=20', rule: 'demo-memory-growth', severity: 'P2', runbook: 'restart-demo-leak' },
    { fault: 'cpu', query: '?duration=60', rule: 'demo-cpu-hot', severity: 'P2', runbook: 'restart-demo' },
  ] as const;

  for (const c of cases) {
    it(`${c.fault}: ${c.rule} is detected and fixed by ${c.runbook}`, async () => {
      await calm(rt);
      const opened = rt.engine.events.waitFor('incident:opened', (e) => e.incident.rule === c.rule, 30_000);
      const resolved = rt.engine.events.waitFor('incident:resolved', (e) => e.incident.rule === c.rule, 40_000);
      await inject(rt, c.fault, c.query);

      const { incident } = await opened;
      expect(incident.severity).toBe(c.severity);
      const { why } = await resolved;
      expect(why).toMatch(new RegExp(`^fixed by ${c.runbook}`));

      const executions = await rt.engine.store.executions.list({ incidentId: incident.id });
      expect(executions.items.map((e) => [e.runbook, e.status])).toEqual([[c.runbook, 'succeeded']]);
      expect(await healthy(rt.demoUrl)).toBe(true);
      await rt.engine.idle();
    }, 60_000);
  }

  it('latency above 5 s is P1: the fix waits for `medic approve`, then runs', async () => {
    await calm(rt);
    const waiting = rt.engine.events.waitFor('execution:created', (e) => e.execution.status === 'awaiting_approval', 40_000);
    await inject(rt, 'latency', '?ms=6000&duration=60');
    const { execution } = await waiting;
    expect(execution.runbook).toBe('restart-demo-slow');
    expect(execution.reason).toBe('needs approval: P1');

    // Nothing runs while it waits: the slow service stays slow.
    await rt.engine.idle();
    expect((await rt.engine.store.executions.get(execution.id))?.status).toBe('awaiting_approval');

    const done = rt.engine.events.waitFor('execution:transition', (e) => e.execution.id === execution.id && e.execution.status === 'succeeded', 30_000);
    const alice = await rt.server.medic.tokens.create({ name: 'alice', role: 'admin' }, 'test');
    const approve = await runCli(['approve', execution.id, '--url', rt.url, '--token', alice.token, '--comment', 'ok']);
    expect(approve.stdout).toContain(`approved ${execution.id}`);
    await done;
    const audit = await rt.engine.store.audit.list({ kind: 'approval' });
    expect(audit.items[0]).toMatchObject({ actor: 'alice', result: 'approved', subject: execution.id });
  }, 60_000);
});
