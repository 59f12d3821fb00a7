import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

let h: Harness;
afterEach(async () => h?.close());

describe('shadow mode', () => {
  it('records per incident what it would have done, with the plan, and changes nothing', async () => {
    h = await startHarness({
      config: configYaml(`
policy:
  mode: shadow
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`),
      runbooks: [`
name: cool-down
description: cool down
match: { rules: [cpu-high] }
risk: low
impact: restarts web
rollback_plan: none
steps:
  - { name: cool, action: record, params: { to: 10 } }
watch: { duration: 0s }
`],
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
});
