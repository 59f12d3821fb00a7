import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

const rules = `
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P0, gt: 99 }
      - { severity: P1, gt: 95 }
`;

const runbook = (approval = 'by_severity') => `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high] }
risk: medium
impact: The web tier restarts.
rollback_plan: Nothing to undo.
approval: ${approval}
steps:
  - { name: cool, action: record, params: { to: 10 } }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;

const MIN = 60_000;
let h: Harness;
afterEach(async () => h?.close());

async function waitingApproval(policy: string, cpu: number) {
  const clock = new FakeClock();
  h = await startHarness({ config: configYaml(`policy:\n  cooldown: 0s\n${policy}${rules}`), runbooks: [runbook()], clock });
  const created = h.next('execution:created');
  h.world['cpu'] = cpu;
  const { execution } = await created;
  expect(execution.status).toBe('awaiting_approval');
  return { clock, execution };
}

describe('approvals that escalate', () => {
  it('escalates a P1 that nobody approved at 60 minutes, and never runs it', async () => {
    const { clock, execution } = await waitingApproval('', 97);
    await clock.advance(59 * MIN + 59_000);
    expect((await h.engine.store.executions.get(execution.id))?.status).toBe('awaiting_approval');
    expect(h.notifications.map((n) => n.event)).not.toContain('escalated');

    await clock.advance(1_000);
    await h.engine.idle();
    const expired = await h.engine.store.executions.get(execution.id);
    expect(expired?.status).toBe('cancelled');
    expect(expired?.error).toBe('approval expired: no decision within 1h0m (P1); not run, escalated to a person');
    expect(expired!.finishedAt! - execution.createdAt).toBe(60 * MIN);
    expect((await h.engine.store.incidents.get(execution.incidentId!))?.status).toBe('escalated');
    expect(h.notifications.filter((n) => n.event === 'escalated').map((n) => n.executionId)).toEqual([execution.id]);
    const audit = await h.engine.store.audit.list({ kind: 'approval', subject: execution.id });
    expect(audit.items.map((a) => a.result)).toEqual(['expired']);

    // Too late: a person's yes after the deadline does not run it either.
    await expect(h.engine.remediator.approve(execution.id, 'alice', null)).rejects.toThrow(/cancelled, not awaiting approval/);
    await clock.advance(10 * MIN);
    expect(h.calls).toEqual([]);
  });

  it('gives a P0 15 minutes, and takes a configured timeout per severity', async () => {
    const p0 = await waitingApproval('', 100);
    await p0.clock.advance(15 * MIN);
    await h.engine.idle();
    expect((await h.engine.store.executions.get(p0.execution.id))?.status).toBe('cancelled');
    await h.close();

    const p1 = await waitingApproval('  approval_timeout: { P1: 5m }\n', 97);
    await p1.clock.advance(5 * MIN - 1);
    expect((await h.engine.store.executions.get(p1.execution.id))?.status).toBe('awaiting_approval');
    await p1.clock.advance(1);
    await h.engine.idle();
    expect((await h.engine.store.executions.get(p1.execution.id))?.status).toBe('cancelled');
  });

  it('says how long it waited in the unit that fits: 6 s is "6s", not "0 min"', async () => {
    const { clock, execution } = await waitingApproval('  approval_timeout: { P1: 6s }\n', 97);
    await clock.advance(6_000);
    await h.engine.idle();
    const expired = await h.engine.store.executions.get(execution.id);
    expect(expired?.error).toBe('approval expired: no decision within 6s (P1); not run, escalated to a person');
    expect(h.notifications.find((n) => n.event === 'escalated')?.text).toBe(expired?.error);
  });

  it('runs an approval given before the deadline, and the deadline then does nothing', async () => {
    const { clock, execution } = await waitingApproval('', 97);
    h.world['cpu'] = 97;
    await clock.advance(30 * MIN);
    await h.engine.remediator.approve(execution.id, 'alice', 'go');
    await clock.advance(31 * MIN);
    await h.engine.idle();
    expect(h.calls.filter((c) => c.phase === 'execute')).toHaveLength(1);
    expect((await h.engine.store.audit.list({ kind: 'approval', subject: execution.id })).items.map((a) => [a.actor, a.result, a.details['comment']]))
      .toEqual([['alice', 'approved', 'go']]);
  });
});

describe('four eyes, per severity', () => {
  it('lets the requester approve their own execution only where config allows it', async () => {
    h = await startHarness({ config: configYaml('policy:\n  four_eyes: { P3: false }\n'), runbooks: [runbook('required')] });
    const rb = h.engine.runbooks[0]!;
    const p2 = await h.engine.remediator.requestManual(rb, 'web', { actor: 'bob', dryRun: false, severity: 'P2', incident: null, reason: 'test' });
    await expect(h.engine.remediator.approve(p2.execution!.id, 'bob', null)).rejects.toThrow(/four eyes: bob asked for this execution/);
    await h.engine.remediator.reject(p2.execution!.id, 'carol', 'not now');
    const rejected = await h.engine.store.executions.get(p2.execution!.id);
    expect(rejected?.error).toBe('rejected by carol: not now');

    const p3 = await h.engine.remediator.requestManual(rb, 'web', { actor: 'bob', dryRun: false, severity: 'P3', incident: null, reason: 'test' });
    const approved = await h.engine.remediator.approve(p3.execution!.id, 'bob', 'mine, allowed at P3');
    expect(approved.approvedBy).toBe('bob');
  });
});

describe('an approval given too late or under a silence', () => {
  it('refuses an approve past the deadline even before the deadline loop has run, and runs nothing', async () => {
    const { clock, execution } = await waitingApproval('', 97);
    clock.set(execution.createdAt + 60 * MIN); // time moves, the loop's timer has not fired yet
    await expect(h.engine.remediator.approve(execution.id, 'alice', null))
      .rejects.toMatchObject({ code: 'conflict', message: 'approval expired at 2026-01-01T13:00:00.000Z: ask for a new execution' });
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.get(execution.id))?.approvedBy).toBeNull();
  });

  it('refuses an approve while a silence holds the incident, naming the silence', async () => {
    const { clock, execution } = await waitingApproval('', 97);
    const s = await h.engine.silences.create({ matchers: [{ label: 'target', op: '=', value: 'web' }], endsAt: clock.now() + 60 * MIN, comment: 'deploy' }, 'bob');
    expect(h.engine.incidents.byId(execution.incidentId!)?.silenced).toBe(true);
    await expect(h.engine.remediator.approve(execution.id, 'alice', null))
      .rejects.toMatchObject({ code: 'conflict', message: `silenced by ${s.id}: a maintenance window holds this target; expire it first` });
    await h.engine.idle();
    expect(h.calls).toEqual([]);
  });
});

describe('the deadline loop', () => {
  it('still expires on time when a scan fails: it tries again within seconds, not an hour later', async () => {
    const { clock, execution } = await waitingApproval('', 97);
    await clock.advance(30 * MIN);
    const executions = h.engine.store.executions;
    const list = executions.list.bind(executions);
    let failures = 1;
    executions.list = async (...args) => {
      if (failures-- > 0) throw new Error('database is locked');
      return list(...args);
    };
    // Another approval arrives: the loop wakes, its scan fails.
    h.engine.events.emit('execution:created', { execution: { ...execution, id: 'exe_other' } });
    await clock.advance(30 * MIN);
    await h.engine.idle();
    expect((await h.engine.store.executions.get(execution.id))?.status).toBe('cancelled');
    expect(h.notifications.filter((n) => n.event === 'escalated').map((n) => n.executionId)).toEqual([execution.id]);
  });
});
