import { afterEach, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness, COOL_WEB_RUNBOOK, cpuHighConfig } from '../support/api-harness.js';

const config = cpuHighConfig(['{ severity: P1, gt: 95 }']);
const runbook = COOL_WEB_RUNBOOK;

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
