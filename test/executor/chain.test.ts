import { afterEach, describe, expect, it } from 'vitest';
import type { Execution } from '../../src/core/records.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
`);

const head = (name: string) => `
name: ${name}
description: ${name}
match: { rules: [] }
risk: low
impact: test
rollback_plan: test
watch: { duration: 0s }
`;

/** A called runbook with two steps that record their ids. */
const cleanup = `${head('cleanup')}
steps:
  - { name: a1, action: record, params: { id: a1 } }
  - { name: a2, action: record, params: { id: "{{ params.second }}" } }
`;

function chain(strategy: string, steps: string, extra = ''): string {
  return `${head('recovery')}
chain: { strategy: ${strategy}${extra} }
steps:
${steps}`;
}

let h: Harness;
afterEach(async () => h?.close());

async function runChain(runbooks: string[], name = 'recovery'): Promise<{ execution: Execution; calls: string[] }> {
  h = await startHarness({ config, runbooks });
  const rb = h.engine.runbooks.find((r) => r.name === name)!;
  const { execution } = await h.engine.remediator.requestManual(rb, 'web', { actor: 'alice', dryRun: false, severity: 'P3', incident: null, reason: 'test' });
  await h.engine.idle();
  const final = (await h.engine.store.executions.get(execution!.id))!;
  return { execution: final, calls: h.calls.map((c) => `${c.phase === 'rollback' ? 'undo ' : ''}${String((c.params as { id?: string }).id ?? c.action)}`) };
}

const fullRecovery = `
  - { name: cleanup, runbook: cleanup, params: { second: a2 } }
  - { name: restart, action: record, params: { id: b } }
  - { name: check, action: record, params: { id: c, fail: true } }
  - { name: reconcile, action: record, params: { id: d } }
`;

describe('chain strategies', () => {
  it('rollback-on-failure undoes every completed step of the whole chain, last first, including the called runbook\'s', async () => {
    const { execution, calls } = await runChain([cleanup, chain('rollback-on-failure', fullRecovery)]);
    expect(calls).toEqual(['a1', 'a2', 'b', 'c', 'undo b', 'undo a2', 'undo a1']);
    expect(execution.status).toBe('failed');
    expect(execution.error).toContain('step "check" failed');
    const steps = await h.engine.store.executions.steps(execution.id);
    expect(steps.filter((s) => s.phase === 'rollback').map((s) => s.name)).toEqual(['undo: restart', 'undo: cleanup / a2', 'undo: cleanup / a1']);
  });

  it('stop-on-failure ends the chain at the first failure and undoes nothing', async () => {
    const { execution, calls } = await runChain([cleanup, chain('stop-on-failure', fullRecovery)]);
    expect(calls).toEqual(['a1', 'a2', 'b', 'c']);
    expect(execution.status).toBe('failed');
  });

  it('continue-on-error runs every step whatever failed, and undoes nothing', async () => {
    const { execution, calls } = await runChain([cleanup, chain('continue-on-error', fullRecovery)]);
    expect(calls).toEqual(['a1', 'a2', 'b', 'c', 'd']);
    expect(execution.status).toBe('succeeded');
    const steps = await h.engine.store.executions.steps(execution.id);
    expect(steps.find((s) => s.name === 'check')?.status).toBe('failed');
  });
});

describe('on_failure per step', () => {
  it('abort (the default in rollback-on-failure) fails the chain', async () => {
    const { calls } = await runChain([chain('rollback-on-failure', `
  - { name: one, action: record, params: { id: one } }
  - { name: two, action: record, params: { id: two, fail: true }, on_failure: abort }
  - { name: three, action: record, params: { id: three } }
`)]);
    expect(calls).toEqual(['one', 'two', 'undo one']);
  });

  it('continue goes on with the next step and the chain can still succeed', async () => {
    const { execution, calls } = await runChain([chain('rollback-on-failure', `
  - { name: one, action: record, params: { id: one } }
  - { name: two, action: record, params: { id: two, fail: true }, on_failure: continue }
  - { name: three, action: record, params: { id: three } }
`)]);
    expect(calls).toEqual(['one', 'two', 'three']);
    expect(execution.status).toBe('succeeded');
  });

  it('skip leaves out the remaining steps, undoes nothing, and lets verify decide', async () => {
    const { execution, calls } = await runChain([chain('rollback-on-failure', `
  - { name: one, action: record, params: { id: one } }
  - { name: two, action: record, params: { id: two, fail: true }, on_failure: skip }
  - { name: three, action: record, params: { id: three } }
`)]);
    expect(calls).toEqual(['one', 'two']);
    expect(execution.status).toBe('succeeded');
  });

  it('applies a runbook step\'s on_failure to a failure inside the runbook it calls', async () => {
    const failing = `${head('flaky')}
steps:
  - { name: x1, action: record, params: { id: x1, fail: true } }
  - { name: x2, action: record, params: { id: x2 } }
`;
    const { execution, calls } = await runChain([failing, chain('rollback-on-failure', `
  - { name: first, action: record, params: { id: first } }
  - { name: flaky, runbook: flaky, on_failure: continue }
  - { name: last, action: record, params: { id: last } }
`)]);
    // x1 aborts the called runbook (x2 never runs); the chain's step says continue.
    expect(calls).toEqual(['first', 'x1', 'last']);
    expect(execution.status).toBe('succeeded');
  });
});

describe('when, timeout and max_duration', () => {
  it('runs a step only when an earlier step ended as its when asks', async () => {
    const { calls } = await runChain([chain('continue-on-error', `
  - { name: probe, action: record, params: { id: probe, fail: true } }
  - { name: if-failed, action: record, params: { id: if-failed }, when: { step: probe, is: failed } }
  - { name: if-ok, action: record, params: { id: if-ok }, when: { step: probe, is: succeeded } }
`)]);
    expect(calls).toEqual(['probe', 'if-failed']);
  });

  it('skips a whole called runbook when its step\'s when does not hold on live signals', async () => {
    const { execution, calls } = await runChain([cleanup, chain('rollback-on-failure', `
  - { name: cleanup, runbook: cleanup, params: { second: a2 }, when: { signal: mem_available_percent, fn: last, lt: 20 } }
  - { name: restart, action: record, params: { id: b } }
`)]);
    expect(calls).toEqual(['b']);
    const steps = await h.engine.store.executions.steps(execution.id);
    expect(steps.filter((s) => s.status === 'skipped').map((s) => s.name).sort()).toEqual(['cleanup / a1', 'cleanup / a2']);
  });

  it('stops a called runbook at its step timeout and treats that as the step failing', async () => {
    const slow = `${head('slow')}
steps:
  - { name: w, action: wait, timeout: 30s }
`;
    const { execution, calls } = await runChain([slow, chain('rollback-on-failure', `
  - { name: first, action: record, params: { id: first } }
  - { name: slow, runbook: slow, timeout: 150ms }
`)]);
    expect(calls).toEqual(['first', 'wait', 'undo first']);
    // The harness's clock is fake: the step timeout reads as configured, to the millisecond.
    expect(execution.error).toMatch(/timed out after 150 ms/);
  });

  it('stops the chain at max_duration, aborting the running step, and rolls back as rollback-on-failure says', async () => {
    const { execution, calls } = await runChain([chain('rollback-on-failure', `
  - { name: first, action: record, params: { id: first } }
  - { name: long, action: wait, timeout: 30s }
  - { name: never, action: record, params: { id: never } }
`, ', max_duration: 200ms')]);
    expect(calls).toEqual(['first', 'wait', 'undo first']);
    expect(execution.status).toBe('failed');
    const took = execution.finishedAt! - execution.startedAt!;
    // Fake time, moved 20 ms at a time: stopped at the first step past max_duration, not at the step's 30 s.
    expect(took).toBeGreaterThanOrEqual(200);
    expect(took).toBeLessThanOrEqual(220);
  });

  it('stops at max_duration without undoing under stop-on-failure', async () => {
    const { execution, calls } = await runChain([chain('stop-on-failure', `
  - { name: first, action: record, params: { id: first } }
  - { name: long, action: wait, timeout: 30s, on_failure: continue }
  - { name: never, action: record, params: { id: never } }
`, ', max_duration: 200ms')]);
    expect(calls).toEqual(['first', 'wait']);
    expect(execution.error).toContain('max_duration 200 ms exceeded');
  });
});

describe('a chain and the approval of the runbooks it calls', () => {
  it('waits for approval when a runbook it calls always requires it, even when the chain says auto', async () => {
    const guarded = `${head('drop-db')}approval: required
steps:
  - { name: drop, action: record, params: { id: drop } }
`;
    const outer = `${head('recovery')}approval: auto
steps:
  - { name: tidy, runbook: middle }
`;
    const middle = `${head('middle')}approval: auto
steps:
  - { name: drop, runbook: drop-db }
`;
    h = await startHarness({ config, runbooks: [guarded, middle, outer] });
    const rb = h.engine.runbooks.find((r) => r.name === 'recovery')!;
    const { verdict, execution } = await h.engine.remediator.requestManual(rb, 'web', { actor: 'alice', dryRun: false, severity: 'P1', incident: null, reason: 'test' });
    await h.engine.idle();
    expect(verdict).toMatchObject({ kind: 'approval', reason: 'needs approval: runbook recovery always requires it' });
    expect(execution?.status).toBe('awaiting_approval');
    expect(h.calls).toEqual([]);
  });
});
