import { afterEach, describe, expect, it } from 'vitest';
import type { Execution, StepRecord } from '../../src/core/records.js';
import type { Store } from '../../src/store/types.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

const config = configYaml('policy:\n  cooldown: 0s\n');

// `record` declares itself idempotent; this runbook says its first step is not (as for an exec that appends).
const runbook = `
name: two-steps
description: two steps
match: { rules: [] }
risk: low
impact: test
rollback_plan: none
steps:
  - { name: first, action: record, idempotent: false, params: { id: first } }
  - { name: second, action: record, params: { id: second } }
watch: { duration: 0s }
`;

/** What a SIGKILL during the first step leaves in the store. */
async function crashedDuringFirstStep(store: Store): Promise<void> {
  const at = Date.now();
  const execution: Execution = {
    id: 'exe_crashed', incidentId: null, runbook: 'two-steps', target: 'web', severity: 'P3', status: 'running', strategy: 0,
    reason: 'test', requestedBy: 'carol', approvedBy: null, dryRun: false, createdAt: at, startedAt: at, finishedAt: null, error: null, plan: {},
  };
  await store.executions.insert(execution);
  const step: StepRecord = {
    executionId: execution.id, seq: 0, strategy: 0, index: 0, phase: 'step', name: 'first', action: 'record', params: { id: 'first' },
    status: 'running', attempts: 0, startedAt: at, finishedAt: null, output: null, error: null, rollbackState: null,
  };
  await store.executions.putStep(step);
}

let h: Harness;
afterEach(async () => h?.close());

async function held(): Promise<Harness> {
  h = await startHarness({ config, runbooks: [runbook], prepare: crashedDuringFirstStep });
  await h.engine.idle();
  return h;
}

describe('executions held for a person after a crash', () => {
  it('holds an execution whose non-idempotent step was running, without running anything', async () => {
    await held();
    const e = await h.engine.store.executions.get('exe_crashed');
    expect(e?.status).toBe('held');
    expect(e?.error).toContain('step "first" was left in doubt');
    expect((await h.engine.store.executions.steps('exe_crashed')).map((s) => s.status)).toEqual(['running', 'unknown']);
    expect(h.calls).toEqual([]);
    const audit = await h.engine.store.audit.list({ subject: 'exe_crashed' });
    expect(audit.items.map((a) => a.result)).toContain('held');
  });

  it('resume runs the step in doubt again and then the rest, recorded with who decided', async () => {
    await held();
    const done = h.next('execution:transition', (x) => x.execution.id === 'exe_crashed' && x.execution.status === 'succeeded');
    await h.engine.control.resume('exe_crashed', 'alice', { assumeDone: false, comment: 'checked: it did not run' });
    await done;
    expect(h.calls.map((c) => (c.params as { id: string }).id)).toEqual(['first', 'second']);
    const audit = await h.engine.store.audit.list({ subject: 'exe_crashed', actor: 'alice' });
    expect(audit.items.map((a) => [a.result, a.details['stepInDoubt']])).toEqual([['resumed_by_person', 'run again']]);
  });

  it('resume --assume-done does not run the step in doubt again', async () => {
    await held();
    const done = h.next('execution:transition', (x) => x.execution.id === 'exe_crashed' && x.execution.status === 'succeeded');
    await h.engine.control.resume('exe_crashed', 'alice', { assumeDone: true, comment: null });
    await done;
    expect(h.calls.map((c) => (c.params as { id: string }).id)).toEqual(['second']);
    const first = (await h.engine.store.executions.steps('exe_crashed')).filter((s) => s.name === 'first').at(-1);
    expect(first?.output).toBe('taken as done by alice');
  });

  it('abandon ends it as failed with the reason, and nothing runs', async () => {
    await held();
    const e = await h.engine.control.abandon('exe_crashed', 'bob', 'restarted it by hand');
    expect(e.status).toBe('failed');
    await h.engine.idle();
    expect((await h.engine.store.executions.get('exe_crashed'))?.error).toBe('abandoned by bob: restarted it by hand');
    expect(h.calls).toEqual([]);
    await expect(h.engine.control.resume('exe_crashed', 'alice', { assumeDone: false, comment: null })).rejects.toThrow(/is failed, not held/);
  });
});

describe('resume and abandon over HTTP', () => {
  it('POST /api/v1/executions/:id/resume and /abandon decide a held execution, with the actor recorded', async () => {
    const { buildServer } = await import('../../src/api/server.js');
    await held();
    const app = buildServer({ engine: engineApi(h.engine) });
    const { token: dana } = await app.medic.tokens.create({ name: 'dana', role: 'admin' }, 'test');
    const { token: viewer } = await app.medic.tokens.create({ name: 'vic', role: 'viewer' }, 'test');
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    try {
      const anon = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_crashed/resume', payload: {} });
      expect(anon.statusCode).toBe(401);
      const low = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_crashed/resume', headers: as(viewer), payload: {} });
      expect(low.statusCode).toBe(403);
      expect((await h.engine.store.executions.get('exe_crashed'))?.status).toBe('held');
      const bad = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_crashed/abandon', headers: as(dana), payload: {} });
      expect(bad.statusCode).toBe(400);
      const done = h.next('execution:transition', (x) => x.execution.id === 'exe_crashed' && x.execution.status === 'succeeded');
      const ok = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_crashed/resume', headers: as(dana), payload: { assume_done: true } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ id: 'exe_crashed', status: 'pending' });
      await done;
      const again = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_crashed/abandon', headers: as(dana), payload: { reason: 'late' } });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toBe('execution exe_crashed is succeeded, not held for a person');
      const missing = await app.inject({ method: 'POST', url: '/api/v1/executions/exe_nothere/resume', headers: as(dana), payload: {} });
      expect(missing.statusCode).toBe(404);
      const audit = await h.engine.store.audit.list({ subject: 'exe_crashed', actor: 'dana' });
      expect(audit.items.map((a) => a.result)).toEqual(['resumed_by_person']);
    } finally {
      await app.close();
    }
  });
});

// The undo of `first` is an explicit `wait` (declared not idempotent, like an exec or an HTTP call); `second` fails.
const undoRunbook = `
name: undo-in-doubt
description: a step whose undo is not safe to send twice
match: { rules: [] }
risk: low
impact: test
rollback_plan: wait
steps:
  - { name: first, action: record, params: { id: first }, rollback: { action: wait, params: { id: undo-first, ms: 0 } } }
  - { name: second, action: record, params: { id: second, fail: true } }
watch: { duration: 0s }
`;

/** What a SIGKILL during the undo of `first` (after `second` failed) leaves in the store. */
async function crashedDuringUndo(store: Store): Promise<void> {
  const at = Date.now();
  await store.executions.insert({
    id: 'exe_undo', incidentId: null, runbook: 'undo-in-doubt', target: 'web', severity: 'P3', status: 'rolling_back', strategy: 0,
    reason: 'test', requestedBy: 'carol', approvedBy: null, dryRun: false, createdAt: at, startedAt: at, finishedAt: null, error: null, plan: {},
  });
  const base = { executionId: 'exe_undo', strategy: 0, params: {}, attempts: 1, startedAt: at, finishedAt: at, output: null, error: null, rollbackState: null };
  await store.executions.putStep({ ...base, seq: 0, index: 0, phase: 'step', name: 'first', action: 'record', status: 'succeeded' });
  await store.executions.putStep({ ...base, seq: 1, index: 1, phase: 'step', name: 'second', action: 'record', status: 'failed', error: 'failed: boom' });
  await store.executions.putStep({ ...base, seq: 2, index: 0, phase: 'rollback', name: 'undo: first', action: 'wait', status: 'running', finishedAt: null });
}

describe('an undo left in doubt by a crash', () => {
  async function heldUndo(): Promise<Harness> {
    h = await startHarness({ config, runbooks: [undoRunbook], prepare: crashedDuringUndo });
    await h.engine.idle();
    return h;
  }

  it('is not sent again by itself: the execution is held for a person', async () => {
    await heldUndo();
    const e = await h.engine.store.executions.get('exe_undo');
    expect(e?.status).toBe('held');
    expect(e?.error).toContain('undo of "first" was left in doubt');
    const undos = (await h.engine.store.executions.steps('exe_undo')).filter((s) => s.phase === 'rollback');
    expect(undos.map((s) => [s.status, s.action])).toEqual([['running', 'wait'], ['unknown', 'wait']]);
    expect(h.calls).toEqual([]);
  });

  it('resume sends the undo again, then the execution ends as the failed strategy would have', async () => {
    await heldUndo();
    const done = h.next('execution:transition', (x) => x.execution.id === 'exe_undo' && x.execution.status === 'failed');
    await h.engine.control.resume('exe_undo', 'alice', { assumeDone: false, comment: 'checked: the undo never arrived' });
    expect((await done).execution.error).toBe('step "second" failed: failed: boom');
    expect(h.calls.map((c) => [c.action, (c.params as { id: string }).id])).toEqual([['wait', 'undo-first']]);
  });

  it('resume --assume-done takes the undo as done without sending it', async () => {
    await heldUndo();
    const done = h.next('execution:transition', (x) => x.execution.id === 'exe_undo' && x.execution.status === 'failed');
    await h.engine.control.resume('exe_undo', 'alice', { assumeDone: true, comment: null });
    await done;
    expect(h.calls).toEqual([]);
    const undo = (await h.engine.store.executions.steps('exe_undo')).filter((s) => s.phase === 'rollback').at(-1);
    expect([undo?.status, undo?.output]).toEqual(['rolled_back', 'taken as done by alice']);
  });

  it('abandon ends it, and nothing is sent', async () => {
    await heldUndo();
    expect((await h.engine.control.abandon('exe_undo', 'bob', 'undid it by hand')).status).toBe('failed');
    await h.engine.idle();
    expect(h.calls).toEqual([]);
  });
});

describe('a held execution keeps its target', () => {
  const ruleConfig = configYaml(`
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P3, gt: 85 }
`);
  const fix = `
name: cool-down-web
description: make the CPU cool down
match: { rules: [cpu-high] }
risk: low
impact: test
rollback_plan: none
steps:
  - { name: cool, action: record, params: { id: cool } }
watch: { duration: 0s }
`;
  // In doubt at `first`; then a step that takes its time (until the engine stops).
  const slow = `
name: slow
description: a step in doubt, then a long one
match: { rules: [] }
risk: low
impact: test
rollback_plan: none
steps:
  - { name: first, action: record, idempotent: false, params: { id: first } }
  - { name: long, action: wait, params: { id: long } }
watch: { duration: 0s }
`;
  const heldReason = 'target web is held: execution exe_crashed waits for a person (medic executions resume|abandon)';

  /** What an engine that had already held an execution (and then stopped) leaves in the store. */
  async function alreadyHeld(store: Store, id: string, runbook: string): Promise<void> {
    const at = Date.now();
    await store.executions.insert({
      id, incidentId: null, runbook, target: 'web', severity: 'P3', status: 'held', strategy: 0, reason: 'test', requestedBy: 'carol',
      approvedBy: null, dryRun: false, createdAt: at, startedAt: at, finishedAt: null, error: 'step "first" was left in doubt', plan: {},
    });
    const base = { executionId: id, strategy: 0, index: 0, phase: 'step' as const, name: 'first', action: 'record', params: { id: 'first' }, attempts: 0, startedAt: at, output: null, rollbackState: null };
    await store.executions.putStep({ ...base, seq: 0, status: 'running', finishedAt: null, error: null });
    await store.executions.putStep({ ...base, seq: 1, status: 'unknown', finishedAt: at, error: 'in doubt' });
  }

  it('defers a new incident on the target with the reason, and runs nothing, until a person abandons it', async () => {
    h = await startHarness({ config: ruleConfig, runbooks: [runbook, fix], prepare: crashedDuringFirstStep });
    await h.engine.idle();
    expect((await h.engine.store.executions.get('exe_crashed'))?.status).toBe('held');

    const decided = h.next('decision', (d) => d.target === 'web');
    h.world['cpu'] = 90;
    const { verdict, incident } = await decided;
    expect(verdict).toEqual({ kind: 'defer', reason: heldReason, retryAt: null });
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.list({})).items.map((e) => e.id)).toEqual(['exe_crashed']);
    const timeline = await h.engine.store.incidents.timeline(incident!.id);
    expect(timeline.map((t) => t.message)).toContain(`cool-down-web: ${heldReason}`);

    // Abandoned: the target is free, and the deferred incident gets its fix.
    const fixed = h.next('execution:created', (e) => e.execution.runbook === 'cool-down-web');
    await h.engine.control.abandon('exe_crashed', 'bob', 'checked by hand');
    expect((await fixed).execution.status).toBe('pending');
  });

  it('still holds it after a restart: the held execution is not resumed, and a new incident is deferred', async () => {
    h = await startHarness({ config: ruleConfig, runbooks: [runbook, fix], prepare: (s) => alreadyHeld(s, 'exe_crashed', 'two-steps') });
    await h.engine.idle();
    expect((await h.engine.store.executions.get('exe_crashed'))?.status).toBe('held');

    const decided = h.next('decision', (d) => d.target === 'web');
    h.world['cpu'] = 90;
    expect((await decided).verdict).toEqual({ kind: 'defer', reason: heldReason, retryAt: null });
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.list({})).total).toBe(1);
    // A person asking for a run on the target by hand is told the same.
    const fixBook = h.engine.runbooks.find((r) => r.name === 'cool-down-web')!;
    const manual = await h.engine.remediator.requestManual(fixBook, 'web', { actor: 'alice', dryRun: false, severity: 'P3', incident: null, reason: 'by hand' });
    expect(manual).toEqual({ verdict: { kind: 'defer', reason: heldReason, retryAt: null }, execution: null });
  });

  it('refuses to approve another execution on the held target', async () => {
    h = await startHarness({
      config: ruleConfig, runbooks: [runbook, fix],
      prepare: async (s) => {
        await alreadyHeld(s, 'exe_crashed', 'two-steps');
        const at = Date.now();
        await s.executions.insert({
          id: 'exe_waiting', incidentId: null, runbook: 'cool-down-web', target: 'web', severity: 'P1', status: 'awaiting_approval', strategy: 0,
          reason: 'needs approval: P1', requestedBy: 'carol', approvedBy: null, dryRun: false, createdAt: at, startedAt: null, finishedAt: null, error: null, plan: {},
        });
      },
    });
    await expect(h.engine.remediator.approve('exe_waiting', 'alice', null)).rejects.toMatchObject({
      code: 'conflict', message: 'target web is held: execution exe_crashed waits for a person (medic executions resume|abandon); approve when it is decided',
    });
    expect((await h.engine.store.executions.get('exe_waiting'))?.status).toBe('awaiting_approval');
    expect(h.calls).toEqual([]);
  });

  it('refuses to resume while another execution runs on the target (409), and leaves it held', async () => {
    h = await startHarness({
      config, runbooks: [slow],
      prepare: async (s) => { await alreadyHeld(s, 'exe_a', 'slow'); await alreadyHeld(s, 'exe_b', 'slow'); },
    });
    await h.engine.idle();
    const long = h.next('step:started', (e) => e.execution.id === 'exe_a' && e.step.name === 'long');
    await h.engine.control.resume('exe_a', 'alice', { assumeDone: true, comment: null });
    await long;

    const refused = h.engine.control.resume('exe_b', 'alice', { assumeDone: false, comment: null });
    await expect(refused).rejects.toMatchObject({
      code: 'conflict', message: 'cannot resume exe_b: target web is busy: execution exe_a is running; resume when it ends',
    });
    expect((await h.engine.store.executions.get('exe_b'))?.status).toBe('held');
    expect((await h.engine.store.executions.steps('exe_b')).map((s) => s.status)).toEqual(['running', 'unknown']);
    expect(h.calls.map((c) => (c.params as { id: string }).id)).toEqual(['long']);
  });
});
