import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../src/config/types.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const SECRET = 'hunter2-Zq81';

const config = configYaml(`
rules:
  - name: db-slow
    targets: [web]
    severity: P3
    condition: { signal: never, fn: last, gt: 0 }
`);

const runbook = `
name: leaky
description: Steps whose params, output and errors carry a secret.
match: { rules: [db-slow] }
risk: low
impact: none
rollback_plan: none
approval: auto
steps:
  - name: echo
    action: exec
    params: { argv: ["/bin/echo", "--password=${SECRET}", "Authorization: Bearer ${SECRET}xyz"] }
  - name: fail
    action: exec
    params: { argv: [${JSON.stringify(process.execPath)}, "-e", "console.error('PGPASSWORD=${SECRET}'); process.exit(3)"] }
verify: { rule_cleared: false, timeout: 1s }
watch: { duration: 0s }
`;

describe('secrets stay out of every record', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('masks a password in argv, step output and step errors in steps, executions, timeline, audit and notifications', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const rule = h.engine.config.rules[0] as CompiledRule;
    const { incident } = await h.engine.incidents.open({ rule, target: 'web', severity: 'P3', value: 1, explain: 'slow' });
    const done = h.next('execution:transition', (e) => e.execution.status === 'failed');
    await h.engine.remediator.consider(incident);
    const { execution } = await done;
    await h.engine.idle();

    const steps = await h.engine.store.executions.steps(execution.id);
    expect(steps.slice(0, 2).map((s) => s.status)).toEqual(['succeeded', 'failed']);
    const records = JSON.stringify({
      steps,
      execution: await h.engine.store.executions.get(execution.id),
      timeline: await h.engine.store.incidents.timeline(incident.id),
      audit: (await h.engine.store.audit.list({ limit: 1000 })).items,
      notifications: h.notifications,
    });
    expect(records).toContain('[redacted]');
    expect(records).not.toContain(SECRET);
  });
});
