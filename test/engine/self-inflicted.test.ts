import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvents } from '../../src/core/events.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

/**
 * A crash and the failed health checks around it, on the engine's fake clock:
 * `crashed` is the cause, `unhealthy` the symptom (3 failed checks in a row).
 * The restart step takes 2 s and its runbook settles for 1 s.
 */
const rules = (unhealthy: string) => `
policy:
  cooldown: 0s
rules:
  - name: crashed
    targets: [web]
    severity: P1
    condition: { signal: up, fn: last, eq: 0 }
    priority: 10
  - name: unhealthy
    targets: [web]
    severity: P1
    condition: { signal: ok, fn: max, samples: 3, lt: 1 }
${unhealthy}`;

const restart = (rule: string) => `
name: restart-${rule}
description: restart web
match: { rules: [${rule}] }
risk: low
impact: web restarts
rollback_plan: none
approval: auto
settle: 1s
steps:
  - { name: restart, action: record, params: { ms: 2000 } }
verify: { timeout: 5s, interval: 100ms }
watch: { duration: 0s }
`;

let h: Harness;
let clock: FakeClock;
const opened: EngineEvents['incident:opened'][] = [];
const heldBack: (EngineEvents['problem:held_back'] & { at: number })[] = [];
afterEach(async () => {
  opened.length = 0;
  heldBack.length = 0;
  await h?.close();
});

async function start(unhealthy: string, runbooks: string[]): Promise<void> {
  clock = new FakeClock();
  h = await startHarness({ config: configYaml(rules(unhealthy)), runbooks, clock, feed: false });
  h.engine.events.on('incident:opened', (e) => opened.push(e));
  h.engine.events.on('problem:held_back', (e) => heldBack.push({ ...e, at: clock.now() }));
  Object.assign(h.world, { up: 1, ok: 1 });
  await run(1_000);
}

/** Time passes in 100 ms probe intervals, each one reporting the world as it is. */
async function run(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    h.engine.ingest(Object.entries(h.world).map(([name, value]) => ({ source: 'test', target: 'web', name, value, labels: {}, at: clock.now() })));
    await clock.advance(100);
  }
}

const rulesOpened = () => opened.map((e) => e.incident.rule);

describe('no self-inflicted incidents: Medic does not page for its own restart', () => {
  it('opens no incident for a rule that fails while the restart runs and settles', async () => {
    await start('', [restart('crashed')]);
    const restarting = h.next('step:started');
    Object.assign(h.world, { up: 0, ok: 0 });
    await run(100);
    const { step } = await restarting;
    const stepStart = step.startedAt!;
    // The restart takes 2 s; health fails all the while (the process is down), then both are back.
    await run(1_900);
    Object.assign(h.world, { up: 1, ok: 1 });
    await run(3_000);
    await h.engine.idle();

    expect(rulesOpened()).toEqual(['crashed']);
    const incident = opened[0]!.incident;
    expect((await h.engine.store.incidents.get(incident.id))?.status).toBe('resolved');
    // Told once, not an incident: what a person finds in the debug log and medic_problems_held_back_total.
    expect(heldBack.map((e) => [e.rule, e.why])).toEqual([['unhealthy', 'medic_acting']]);
    expect(heldBack[0]!.at).toBeGreaterThanOrEqual(stepStart);
  });

  it('judges the target afresh after the settle time: a symptom that outlasts the fix opens its incident then', async () => {
    await start('', [restart('crashed')]);
    const restarting = h.next('step:started');
    Object.assign(h.world, { up: 0, ok: 0 });
    await run(100);
    const stepStart = (await restarting).step.startedAt!;
    await run(1_900);
    h.world['up'] = 1; // the process is back, its health checks still fail
    await run(4_000);
    await h.engine.idle();

    expect(rulesOpened()).toEqual(['crashed', 'unhealthy']);
    const unhealthy = opened[1]!.incident;
    // Not before the step's 2 s and the 1 s settle are over.
    expect(unhealthy.openedAt).toBeGreaterThanOrEqual(stepStart + 3_000);
  });
});

describe('inhibited_by: a symptom of an open cause is attached to its incident', () => {
  it('notes the symptom on the open cause; once the cause is resolved the symptom opens its own', async () => {
    // No runbook fixes the crash: its incident stays open (escalated to a person), no step runs.
    await start('    inhibited_by: [crashed]\n', []);
    h.world['up'] = 0;
    await run(300);
    expect(rulesOpened()).toEqual(['crashed']);
    const cause = opened[0]!.incident;

    h.world['ok'] = 0;
    await run(1_000);
    await h.engine.idle();
    expect(rulesOpened()).toEqual(['crashed']);
    const timeline = await h.engine.store.incidents.timeline(cause.id);
    const symptoms = timeline.filter((t) => t.kind === 'symptom');
    expect(symptoms.map((t) => t.message)).toEqual([
      expect.stringMatching(/^P1 unhealthy also holds on web, explained by this incident \(inhibited_by crashed\): /),
    ]);
    expect(heldBack.map((e) => [e.rule, e.why, e.cause])).toEqual([['unhealthy', 'inhibited', 'crashed']]);

    // The process is back but its health still fails: no longer explained, so it is an incident of its own.
    h.world['up'] = 1;
    await run(1_000);
    await h.engine.idle();
    expect((await h.engine.store.incidents.get(cause.id))?.status).toBe('resolved');
    expect(rulesOpened()).toEqual(['crashed', 'unhealthy']);
  });

  it('opens the symptom as usual when its cause is not open', async () => {
    await start('    inhibited_by: [crashed]\n', []);
    h.world['ok'] = 0;
    await run(500);
    await h.engine.idle();
    expect(rulesOpened()).toEqual(['unhealthy']);
  });
});
