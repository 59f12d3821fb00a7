import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvents } from '../../src/core/events.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

/*
 * What an execution's outcome says, on the fake clock: a success only after
 * a clean watch; a new problem during the watch is the fix failing; an undo
 * that undid nothing is a failure, never "rolled back"; a fix that made
 * things worse leaves its incident with a person.
 */

const config = configYaml(`
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
rules:
  - name: errors-high
    targets: [web]
    severity: P2
    condition: { signal: errors, fn: last, gt: 10 }
  - name: latency-high
    targets: [web]
    severity: P3
    condition: { signal: latency, fn: last, gt: 500 }
`);

/** A runbook fixing errors-high with one step, a 3 s watch that fails on two health checks in a row. */
const runbook = (step: string) => `
name: fix-errors
description: Fixes the errors.
match: { rules: [errors-high] }
risk: low
impact: none
rollback_plan: the step's own undo, if it has one
approval: auto
steps:
  - ${step}
verify: { timeout: 5s, interval: 100ms }
watch: { duration: 3s, health: { signal: http_up, failures: 2 }, error_rate: false, latency: false }
`;

const NO_UNDO = '{ name: poke, action: wait, params: { ms: 10 } }';
const UNDOABLE = '{ name: poke, action: record, params: { id: poke } }';
const EXEC_NO_UNDO = `{ name: poke, action: exec, params: { argv: ["${process.execPath.replace(/\\/g, '/')}", "-e", ""] } }`;

let h: Harness;
let clock: FakeClock;
afterEach(async () => h?.close());

async function start(step: string): Promise<{ finished: EngineEvents['execution:finished'][] }> {
  clock = new FakeClock();
  h = await startHarness({ config, runbooks: [runbook(step)], clock, feed: false });
  const finished: EngineEvents['execution:finished'][] = [];
  h.engine.events.on('execution:finished', (e) => finished.push(e));
  return { finished };
}

/** One probe round at the fake time, then 100 ms of it. */
async function tick(): Promise<void> {
  const at = clock.now();
  h.engine.ingest(Object.entries(h.world).map(([name, value]) => ({ source: 'test', target: 'web', name, value, labels: {}, at })));
  await clock.advance(100);
  await new Promise((r) => setImmediate(r));
}

async function until(what: string, pred: () => boolean | Promise<boolean>, rounds = 300): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await pred()) return;
    await tick();
  }
  throw new Error(`never: ${what}`);
}

/** The incident is opened, fixed (errors back to 0) and verified: the watch is on. */
async function fixedAndWatching(): Promise<{ executionId: string; incidentId: string }> {
  h.world['errors'] = 50;
  h.world['http_up'] = 1;
  h.world['latency'] = 10;
  let created: EngineEvents['execution:created'] | undefined;
  const off = h.engine.events.on('execution:created', (e) => { created = e; });
  await until('an execution', () => created !== undefined);
  off();
  h.world['errors'] = 0;
  const id = created!.execution.id;
  await until('the watch', async () => (await h.engine.store.executions.get(id))?.status === 'watching');
  return { executionId: id, incidentId: created!.execution.incidentId! };
}

describe('outcomes that tell the truth', () => {
  it('is not a success while its watch runs, and is one when the watch ends clean', async () => {
    const { finished } = await start(UNDOABLE);
    const { executionId, incidentId } = await fixedAndWatching();
    expect((await h.engine.store.incidents.get(incidentId))?.status).toBe('remediating');
    expect(h.notifications.map((n) => n.event)).not.toContain('fixed');
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'succeeded', needsPerson: false });
    expect((await h.engine.store.executions.get(executionId))?.status).toBe('succeeded');
    expect((await h.engine.store.incidents.get(incidentId))?.status).toBe('resolved');
    expect(h.notifications.filter((n) => n.event === 'fixed').map((n) => n.executionId)).toEqual([executionId]);
  });

  it('ends failed and escalated, never rolled_back, when a fix with nothing to undo fails its watch', async () => {
    const { finished } = await start(NO_UNDO);
    const { executionId, incidentId } = await fixedAndWatching();
    h.world['http_up'] = 0;
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'failed', needsPerson: true });
    expect(finished[0]!.reason).toMatch(/^watch: http_up failed 2 times in a row after the fix; nothing to undo$/);
    expect((await h.engine.store.executions.get(executionId))?.status).toBe('failed');
    const steps = await h.engine.store.executions.steps(executionId);
    expect(steps.some((s) => s.status === 'rolled_back')).toBe(false);
    expect(h.notifications.map((n) => n.event)).not.toContain('rolled_back');
    await until('escalated', async () => (await h.engine.store.incidents.get(incidentId))?.status === 'escalated');
    expect(h.notifications.filter((n) => n.event === 'escalated').map((n) => n.incidentId)).toEqual([incidentId]);
    // errors-high cleared long ago: the incident still waits for a person, and nothing runs again.
    for (let i = 0; i < 20; i++) await tick();
    expect((await h.engine.store.incidents.get(incidentId))?.status).toBe('escalated');
    expect((await h.engine.store.executions.list()).total).toBe(1);
    expect(h.engine.breakerList()[0]?.failures).toHaveLength(1);
  });

  it('ends failed, not rolled_back, when the undo ran and said it undid nothing (exec without rollback_argv)', async () => {
    const { finished } = await start(EXEC_NO_UNDO);
    const { executionId } = await fixedAndWatching();
    h.world['http_up'] = 0;
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'failed', needsPerson: true });
    const steps = await h.engine.store.executions.steps(executionId);
    expect(steps.filter((s) => s.phase === 'rollback').map((s) => [s.status, s.output])).toEqual([
      ['skipped', expect.stringContaining('nothing to undo')],
    ]);
  });

  it('leaves the incident escalated after a rollback that ran, even when its rule clears at once', async () => {
    const { finished } = await start(UNDOABLE);
    const { executionId, incidentId } = await fixedAndWatching();
    h.world['http_up'] = 0;
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'rolled_back', needsPerson: true });
    expect(h.calls.map((c) => c.phase)).toEqual(['execute', 'rollback']);
    h.world['http_up'] = 1;
    for (let i = 0; i < 20; i++) await tick();
    const incident = await h.engine.store.incidents.get(incidentId);
    expect(incident?.status).toBe('escalated');
    const escalated = h.notifications.filter((n) => n.event === 'escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({ incidentId, executionId, text: expect.stringContaining('rolled_back: watch: http_up failed 2 times') });
    expect(h.notifications.map((n) => n.event)).not.toContain('resolved');
  });

  it('takes a new problem on the target during the watch as the fix failing: rolled back, counted, never superseded', async () => {
    const { finished } = await start(UNDOABLE);
    const { executionId } = await fixedAndWatching();
    h.world['latency'] = 900;
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'rolled_back', needsPerson: true });
    expect(finished[0]!.reason).toMatch(/^watch: a new problem on web during the watch: latency-high \(inc_/);
    const watch = (await h.engine.store.executions.steps(executionId)).find((s) => s.phase === 'watch');
    expect(watch?.status).toBe('failed');
    expect(h.engine.breakerList().find((b) => b.key === 'fix-errors@web')?.failures).toHaveLength(1);
  });

  it('is not ended by a silenced incident on the target: the watch runs to its end', async () => {
    const { finished } = await start(UNDOABLE);
    await fixedAndWatching();
    await h.engine.silences.create({ matchers: [{ label: 'rule', op: '=', value: 'latency-high' }], endsAt: clock.now() + 3_600_000, comment: 'known' }, 'alice');
    h.world['latency'] = 900;
    await until('the outcome', () => finished.length > 0);
    expect(finished[0]).toMatchObject({ outcome: 'succeeded' });
    const silenced = (await h.engine.store.incidents.list({ rule: 'latency-high' })).items;
    expect(silenced.map((i) => i.silenced)).toEqual([true]);
  });
});
