import { afterEach, describe, expect, it } from 'vitest';
import { approvalTimeouts } from '../../src/remediation/operations.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
  auto_remediation: false
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
impact: The web tier is cooled.
rollback_plan: Warm it up again.
steps:
  - name: cool
    action: record
    params: { to: 10, on: '{{ target.name }}' }
  - name: tell
    action: notify
    params: { message: 'cooled {{ target.name }}' }
verify:
  timeout: 2s
  interval: 20ms
watch: { duration: 0s }
`;

describe('plans and manual runs', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('previews the plan for an incident with verdict, impact, rollback plan and each action plan, changing nothing', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const held = h.next('incident:updated', (e) => e.incident.status === 'escalated');
    h.world['cpu'] = 99;
    const { incident } = await held;
    await h.engine.idle();
    const before = { audit: (await h.engine.store.audit.list()).total, timeline: (await h.engine.store.incidents.timeline(incident.id)).length };

    const plan = await h.engine.previewPlan({ incidentId: incident.id }, 'alice');
    expect(plan).toMatchObject({
      runbook: 'cool-down-web', target: 'web', incidentId: incident.id, severity: 'P1', risk: 'medium',
      impact: 'The web tier is cooled.', rollbackPlan: 'Warm it up again.',
      verdict: { kind: 'approval', reason: 'needs approval: P1' },
      steps: [
        { strategy: 'default', name: 'cool', action: 'record', params: { to: 10, on: 'web' }, dryRun: { summary: 'record {"to":10,"on":"web"}' } },
        { name: 'tell', action: 'notify', dryRun: { summary: expect.stringContaining('cooled web') } },
      ],
    });
    expect(plan.dryRun[0]).toBe('default/cool: record {"to":10,"on":"web"}');
    expect(h.calls).toEqual([]);
    expect(h.notifications.filter((n) => n.event === 'message')).toEqual([]);
    expect((await h.engine.store.executions.list()).total).toBe(0);
    expect((await h.engine.store.audit.list()).total).toBe(before.audit);
    expect((await h.engine.store.incidents.timeline(incident.id)).length).toBe(before.timeline);
  });

  it('names what is wrong in a plan request', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    await expect(h.engine.previewPlan({ incidentId: 'inc_nope' }, 'alice')).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.engine.previewPlan({ runbook: 'nope', target: 'web' }, 'alice')).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.engine.previewPlan({ runbook: 'cool-down-web', target: '../etc' }, 'alice')).rejects.toMatchObject({ code: 'bad_request', details: { field: 'target' } });
    await expect(h.engine.previewPlan({ runbook: 'cool-down-web', target: 'web', severity: 'P9' as never }, 'alice')).rejects.toMatchObject({ details: { field: 'severity' } });
  });

  it('runs a P3 manual request at once, holds a P1 for approval, and honours dry_run', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const dry = await h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'try', dryRun: true }, 'bob');
    expect(dry.verdict.kind).toBe('dry_run');
    expect(dry.execution?.status).toBe('dry_run');
    expect(h.calls).toEqual([]);

    const waiting = await h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'hot', dryRun: false, severity: 'P1' }, 'bob');
    expect(waiting.execution?.status).toBe('awaiting_approval');
    const approvals = await h.engine.approvals();
    expect(approvals).toEqual([expect.objectContaining({ id: waiting.execution!.id, needsApprovalBecause: 'needs approval: P1', deadline: waiting.execution!.createdAt + 60 * 60_000 })]);
    await h.engine.remediator.reject(waiting.execution!.id, 'carol', 'not now');

    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    const run = await h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'routine', dryRun: false }, 'bob');
    expect(run.verdict).toEqual({ kind: 'run', reason: 'auto: P3 runs at once' });
    expect((await done).execution.requestedBy).toBe('bob');
    expect(h.calls).toHaveLength(1);
    await expect(h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: ' ', dryRun: false }, 'bob')).rejects.toMatchObject({ details: { field: 'reason' } });
  });

  it('rolls back a succeeded execution step by step, newest first, once', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    const { execution } = await h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'routine', dryRun: false }, 'bob');
    await done;
    await h.engine.idle();

    await expect(h.engine.rollbackExecution(execution!.id, 'carol', '')).rejects.toMatchObject({ code: 'bad_request' });
    const rolled = await h.engine.rollbackExecution(execution!.id, 'carol', 'made it worse');
    expect(rolled.status).toBe('rolled_back');
    expect(rolled.error).toBe('rolled back by carol: made it worse (not undoable, left as they are: tell)');
    expect(h.calls.map((c) => c.phase)).toEqual(['execute', 'rollback']);
    const steps = await h.engine.store.executions.steps(execution!.id);
    expect(steps.filter((s) => s.phase === 'rollback').map((s) => [s.name, s.status])).toEqual([['undo: cool', 'rolled_back']]);
    expect((await h.engine.store.executions.get(execution!.id))?.status).toBe('rolled_back');
    const audit = await h.engine.store.audit.list({ kind: 'rollback', actor: 'carol' });
    expect(audit.items.map((a) => a.result)).toEqual(['rolled_back', 'requested']);

    await expect(h.engine.rollbackExecution(execution!.id, 'carol', 'again')).rejects.toMatchObject({ code: 'conflict', message: /rolled_back/ });
    await expect(h.engine.rollbackExecution('exe_nope', 'carol', 'x')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a rollback with nothing to undo, or while the target is busy', async () => {
    const tellOnly = runbook.replace('name: cool-down-web', 'name: tell-only').replace(/ {2}- name: cool\n {4}action: record\n {4}params: .*\n/, '');
    h = await startHarness({ config, runbooks: [runbook, tellOnly] });
    let done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    const told = await h.engine.runManual({ runbook: 'tell-only', target: 'web', reason: 'say it', dryRun: false }, 'bob');
    await done;
    await h.engine.idle();
    await expect(h.engine.rollbackExecution(told.execution!.id, 'carol', 'undo')).rejects.toMatchObject({ code: 'conflict', message: /nothing to undo.*notify/ });

    done = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    const cooled = await h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'cool', dryRun: false }, 'bob');
    await done;
    await h.engine.idle();
    expect(h.engine.remediator.hold('web', 'someone-else')).toBe(true);
    await expect(h.engine.rollbackExecution(cooled.execution!.id, 'carol', 'undo')).rejects.toMatchObject({ code: 'conflict', message: /busy/ });
    expect((await h.engine.store.executions.get(cooled.execution!.id))?.status).toBe('succeeded');
    h.engine.remediator.unhold('web', 'someone-else');
    expect((await h.engine.rollbackExecution(cooled.execution!.id, 'carol', 'undo')).status).toBe('rolled_back');
  });
});

describe('approval deadlines', () => {
  it('are P0 15 min and P1 60 min by default, none for P2/P3, and follow the config when it has them', () => {
    expect(approvalTimeouts({})).toEqual({ P0: 900_000, P1: 3_600_000, P2: null, P3: null });
    expect(approvalTimeouts({ approvalTimeoutMs: { P0: 1, P1: 2, P2: 3, P3: 4 } })).toEqual({ P0: 1, P1: 2, P2: 3, P3: 4 });
  });
});

describe('a manual run without the incident', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('is judged at the severity of what is open on the target, and does not run past a waiting approval', async () => {
    const other = runbook.replace('name: cool-down-web', 'name: fan-web').replace('match: { rules: [cpu-high] }', 'match: { rules: [disk-full] }');
    h = await startHarness({ config: config.replace('auto_remediation: false', 'auto_remediation: true'), runbooks: [runbook, other] });
    const waits = h.next('execution:created', (e) => e.execution.status === 'awaiting_approval');
    h.world['cpu'] = 99;
    const held = (await waits).execution;
    expect(held).toMatchObject({ runbook: 'cool-down-web', target: 'web', severity: 'P1' });

    await expect(h.engine.runManual({ runbook: 'cool-down-web', target: 'web', reason: 'just do it', dryRun: false }, 'bob'))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`execution ${held.id}`) });
    const asked = await h.engine.runManual({ runbook: 'fan-web', target: 'web', reason: 'just do it', dryRun: false, severity: 'P3' }, 'bob');
    expect(asked.verdict).toMatchObject({ kind: 'approval', reason: 'needs approval: P1' });
    expect(asked.execution).toMatchObject({ status: 'awaiting_approval', severity: 'P1' });
    await h.engine.idle();
    expect(h.calls).toEqual([]);
  });

  it('refuses a runbook named with an incident when it does not match the incident target', async () => {
    const elsewhere = runbook.replace('name: cool-down-web', 'name: cool-db').replace('match: { rules: [cpu-high] }', 'match: { rules: [cpu-high], labels: { tier: db } }');
    h = await startHarness({ config, runbooks: [runbook, elsewhere] });
    const escalated = h.next('incident:updated', (e) => e.incident.status === 'escalated');
    h.world['cpu'] = 99;
    const { incident } = await escalated;
    await expect(h.engine.runManual({ incidentId: incident.id, runbook: 'cool-db', target: 'web', reason: 'x', dryRun: false }, 'bob'))
      .rejects.toMatchObject({ code: 'bad_request', details: { field: 'runbook' } });
    expect(h.calls).toEqual([]);
  });
});
