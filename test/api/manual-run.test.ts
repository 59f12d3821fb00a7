import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.js';
import { configYaml } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P1, gt: 95 }
`);
const runbook = `
name: cool-web
description: Cool the web tier.
match: { rules: [cpu-high] }
risk: low
impact: The web tier restarts.
rollback_plan: Nothing to undo.
steps:
  - { name: cool, action: record, params: { to: 10 } }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;

describe('an operator asking for a run while a P1 waits for approval', () => {
  let h: ApiHarness;
  afterEach(async () => h?.close());

  it('is refused with the waiting execution named, and nothing runs', async () => {
    h = await startApiHarness({ config, runbooks: [runbook] });
    const waits = h.next('execution:created', (e) => e.execution.status === 'awaiting_approval');
    h.world['cpu'] = 99;
    const held = (await waits).execution;
    const res = await h.request('POST', '/api/v1/executions', { token: h.tokens.operator, body: { runbook: 'cool-web', target: 'web', reason: 'just do it' } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toContain(`execution ${held.id} (cool-web on web, P1) is awaiting approval`);
    await h.engine.idle();
    expect(h.calls).toEqual([]);
    expect((await h.engine.store.executions.list()).total).toBe(1);
  });
});
