import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

let h: Harness;
afterEach(async () => h?.close());

/** Shadow mode, one rule (cpu > 85 on web is P2), plus any more policy lines. */
const shadowConfig = (policy: string) => configYaml(`
policy:
  mode: shadow
${policy}rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`);

const COOL_DOWN = `
name: cool-down
description: cool down
match: { rules: [cpu-high] }
risk: low
impact: restarts web
rollback_plan: none
steps:
  - { name: cool, action: record, params: { to: 10 } }
watch: { duration: 0s }
`;

describe('shadow mode', () => {
  it('records per incident what it would have done, with the plan, and changes nothing', async () => {
    h = await startHarness({
      config: shadowConfig(''),
      runbooks: [COOL_DOWN],
    });
    const created = h.next('execution:created');
    h.world['cpu'] = 97;
    const { execution } = await created;
    await h.engine.idle();
    expect(execution.status).toBe('shadowed');
    expect(execution.reason).toBe('shadow mode: would run cool-down on web; nothing changed');
    expect(execution.incidentId).not.toBeNull();
    expect(execution.plan['runbook']).toBe('cool-down');
    expect((execution.plan['strategies'] as { steps: { action: string; params: unknown }[] }[])[0]!.steps[0]).toMatchObject({ action: 'record', params: { to: 10 } });
    expect(h.calls).toEqual([]);
    const timeline = await h.engine.store.incidents.timeline(execution.incidentId!);
    expect(timeline.map((t) => t.message)).toContain('cool-down: shadow mode: would run cool-down on web; nothing changed');
  });

  it('records one shadowed execution per incident while the problem holds for 30 s, counting how often it would have run again', async () => {
    const clock = new FakeClock();
    h = await startHarness({
      clock, feed: false,
      config: shadowConfig('  cooldown: 10s\n'),
      runbooks: [COOL_DOWN],
    });
    const created = h.next('execution:created');
    for (let t = 0; t < 30_000; t += 100) {
      h.engine.ingest([{ source: 'test', target: 'web', name: 'cpu', value: 97, labels: {}, at: clock.now() }]);
      await clock.advance(100);
    }
    const { execution } = await created;
    await h.engine.idle();

    const executions = await h.engine.store.executions.list({});
    expect(executions.items.map((e) => e.status)).toEqual(['shadowed']);
    // Asked about every second; with a 10 s cooldown it would have run again at 10 s, 20 s and 30 s.
    expect(executions.items[0]!.shadowRepeats).toBe(3);
    const audit = await h.engine.store.audit.list({ kind: 'decision' });
    expect(audit.items.map((a) => [a.subject, a.result])).toEqual([[execution.id, 'shadow']]);
    const timeline = await h.engine.store.incidents.timeline(execution.incidentId!);
    expect(timeline.filter((t) => t.kind === 'decided')).toHaveLength(1);
    expect(h.calls).toEqual([]);
  });
});
