import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
  circuit_breaker: { failures: 3 }
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
rules:
  - name: errors-high
    targets: [web]
    severity: P2
    condition: { signal: errors, fn: last, gt: 10 }
`);

// A fix that changes nothing: verify can never pass.
const runbook = `
name: useless-fix
description: Pretends to fix the errors.
match: { rules: [errors-high] }
risk: low
impact: none
rollback_plan: The step's own undo runs.
steps:
  - name: poke
    action: record
    params: { poke: true }
verify:
  timeout: 150ms
  interval: 20ms
watch: { duration: 0s }
`;

describe('verify, rollback and the circuit breaker', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('rolls back a fix whose verify fails, and after 3 failures opens the circuit and refuses the next automatic run with its reason', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const opened = h.next('breaker:changed', (e) => e.state === 'open', 15_000);
    const refused = h.next('decision', (e) => e.verdict.kind === 'refuse', 15_000);
    h.world['errors'] = 50;

    const breaker = await opened;
    expect(breaker.key).toBe('useless-fix@web');
    expect(breaker.failures).toHaveLength(3);

    const { verdict, incident } = await refused;
    expect(verdict.reason).toMatch(/^blocked: circuit open after 3 failures at \d\d:\d\d:\d\d, \d\d:\d\d:\d\d, \d\d:\d\d:\d\d; a person must reset it$/);
    await h.engine.idle();

    // Each failed execution ran the step, failed verify, and undid the step.
    const executions = (await h.engine.store.executions.list({ order: 'asc' })).items;
    expect(executions.map((e) => e.status)).toEqual(['failed', 'failed', 'failed']);
    expect(executions[0]!.error).toMatch(/verify failed: not verified within 150 ms: errors-high still holds/);
    expect(h.calls.map((c) => c.phase)).toEqual(['execute', 'rollback', 'execute', 'rollback', 'execute', 'rollback']);
    const steps = await h.engine.store.executions.steps(executions[0]!.id);
    expect(steps.map((s) => [s.phase, s.status])).toEqual([['step', 'succeeded'], ['verify', 'failed'], ['rollback', 'rolled_back']]);

    // The incident is handed to a person, with the reason on its timeline and in the audit log.
    const stored = await h.engine.store.incidents.get(incident!.id);
    expect(stored?.status).toBe('escalated');
    const timeline = await h.engine.store.incidents.timeline(incident!.id);
    expect(timeline.some((t) => t.message.includes('blocked: circuit open after 3 failures'))).toBe(true);
    const audit = await h.engine.store.audit.list({ kind: 'decision' });
    expect(audit.items.some((a) => a.result === 'refuse' && String(a.details['reason']).startsWith('blocked: circuit open'))).toBe(true);
    expect(h.notifications.map((n) => n.event)).toEqual(expect.arrayContaining(['circuit_open', 'escalated']));

    // Nothing more runs automatically while the circuit is open.
    const before = h.calls.length;
    await h.engine.remediator.consider(stored!);
    await h.engine.idle();
    expect(h.calls.length).toBe(before);
    expect((await h.engine.store.audit.verify()).ok).toBe(true);
  });
});
