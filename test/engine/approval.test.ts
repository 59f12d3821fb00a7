import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P1, gt: 95 }
      - { severity: P2, gt: 85 }
`);

const runbook = `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high] }
risk: medium
impact: The web tier restarts.
rollback_plan: Nothing to undo.
steps:
  - name: cool
    action: record
    params: { to: 10 }
verify:
  timeout: 2s
  interval: 20ms
watch: { duration: 0s }
`;

describe('approval by severity', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('holds a P1 fix in awaiting_approval and runs nothing until a person approves it', async () => {
    h = await startHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; } });
    const created = h.next('execution:created');
    h.world['cpu'] = 99;
    const { execution } = await created;

    expect(execution.status).toBe('awaiting_approval');
    expect(execution.reason).toBe('needs approval: P1');
    await h.engine.idle();
    const incident = await h.engine.store.incidents.get(execution.incidentId!);
    expect(incident?.status).toBe('awaiting_approval');

    // The problem keeps holding and the engine keeps looking at it: still nothing runs.
    await h.engine.remediator.consider(incident!);
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.list({})).total).toBe(1);
    expect(h.notifications.map((n) => n.event)).toContain('needs_approval');

    const done = h.next('execution:transition', (e) => e.execution.id === execution.id && e.execution.status === 'succeeded');
    await h.engine.remediator.approve(execution.id, 'alice', 'go ahead');
    await done;
    expect(h.calls).toEqual([{ action: 'record', phase: 'execute', params: { to: 10 } }]);

    const stored = await h.engine.store.executions.get(execution.id);
    expect(stored?.approvedBy).toBe('alice');
    const audit = await h.engine.store.audit.list({ kind: 'approval' });
    expect(audit.items.map((a) => [a.actor, a.result])).toEqual([['alice', 'approved']]);
  });

  it('runs a P2 fix at once, without asking', async () => {
    h = await startHarness({ config, runbooks: [runbook], onRecord: (_p, world) => { world['cpu'] = 10; } });
    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['cpu'] = 90;
    const { execution } = await done;
    expect(execution.reason).toBe('auto: P2 runs at once');
    expect(h.calls).toHaveLength(1);
  });

  it('refuses to let the person who asked for an execution approve it (four eyes)', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const rb = h.engine.runbooks[0]!;
    const { execution } = await h.engine.remediator.requestManual(rb, 'web', { actor: 'bob', dryRun: false, severity: 'P1', incident: null, reason: 'test' });
    expect(execution?.status).toBe('awaiting_approval');
    await expect(h.engine.remediator.approve(execution!.id, 'bob', null)).rejects.toThrow(/four eyes/);
    expect(h.calls).toEqual([]);
  });

  it('withdraws the approval when the problem clears by itself while waiting', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const created = h.next('execution:created');
    h.world['cpu'] = 99;
    const { execution } = await created;
    const resolved = h.next('incident:resolved');
    h.world['cpu'] = 20;
    const { incident, why } = await resolved;
    expect(incident.id).toBe(execution.incidentId);
    expect(why).toMatch(/no longer holds/);
    expect((await h.engine.store.executions.get(execution.id))?.status).toBe('cancelled');
    await expect(h.engine.remediator.approve(execution.id, 'alice', null)).rejects.toThrow(/cancelled, not awaiting approval/);
    expect(h.calls).toEqual([]);
  });
});

describe('an approval waits while the signal goes quiet', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('is not withdrawn when samples stop coming: silence is not recovery', async () => {
    const windowed = config.replace('value: { signal: cpu, fn: last }', 'value: { signal: cpu, fn: avg, window: 200ms }');
    h = await startHarness({ config: windowed, runbooks: [runbook] });
    const created = h.next('execution:created');
    h.world['cpu'] = 99;
    const { execution } = await created;
    await h.engine.idle();
    delete h.world['cpu'];
    // The detector looks again a second later, when the window holds no sample at all.
    h.engine.detector.tick(Date.now() + 1_000);
    h.engine.detector.tick(Date.now() + 2_000);
    await h.engine.idle();
    expect((await h.engine.store.executions.get(execution.id))?.status).toBe('awaiting_approval');
    expect((await h.engine.store.incidents.get(execution.incidentId!))?.status).toBe('awaiting_approval');
  });
});
