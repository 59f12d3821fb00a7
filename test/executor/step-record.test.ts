import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

const slow = `
name: slow-fix
description: A step that takes its time and then fails.
match: { rules: [] }
risk: low
impact: none
rollback_plan: none
steps:
  - { name: slow, action: wait, timeout: 5s }
watch: { duration: 0s }
`;

let h: Harness | undefined;
afterEach(async () => h?.close());

describe('a failed step\'s record', () => {
  it('keeps the time the step started, so it shows how long it ran before it failed', async () => {
    const clock = new FakeClock();
    h = await startHarness({ config: configYaml('policy:\n  cooldown: 0s\n'), runbooks: [slow], clock, feed: false });
    const began = clock.now();
    const rb = h.engine.runbooks[0]!;
    const ask = { actor: 'alice', dryRun: false, severity: 'P3', incident: null, reason: 'test' } as const;
    const { execution } = await h.engine.remediator.requestManual(rb, 'web', ask);
    await clock.advance(5_000);
    await h.engine.idle();
    const steps = await h.engine.store.executions.steps(execution!.id);
    const step = steps.find((s) => s.name === 'slow')!;
    expect(step).toMatchObject({ status: 'failed', startedAt: began, finishedAt: began + 5_000 });
    expect(step.error).toMatch(/^timeout: /);
  });
});
