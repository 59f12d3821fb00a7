import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../src/config/types.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const PAYLOAD = 'x; touch pwned.txt';

const config = configYaml(`
rules:
  - name: alert
    targets: [web]
    severity: P3
    condition: { signal: never, fn: last, gt: 0 }
`);

function runbook(dir: string, extra = ''): string {
  return `
name: echo-label
description: Writes an alert label somewhere, through argv.
match: { rules: [alert] }
risk: low
impact: none
rollback_plan: none
approval: auto
${extra}
steps:
  - name: echo
    action: exec
    params:
      argv: ["/bin/echo", "{{ labels.payload }}"]
      cwd: ${JSON.stringify(dir)}
  - name: touch
    action: exec
    params:
      argv: ["/usr/bin/touch", "{{ labels.payload }}"]
      cwd: ${JSON.stringify(dir)}
verify: { rule_cleared: false, timeout: 1s }
watch: { duration: 0s }
`;
}

describe('values that come from alerts never reach a shell', () => {
  let h: Harness;
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'medic-noshell-')); });
  afterEach(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fire(labels: Record<string, string>): Promise<string> {
    const rule = h.engine.config.rules[0] as CompiledRule;
    const { incident } = await h.engine.incidents.open({ rule, target: 'web', severity: 'P3', value: 1, explain: 'alert' }, { labels, source: 'alert' });
    const done = h.next('execution:transition', (e) => ['succeeded', 'failed'].includes(e.execution.status));
    await h.engine.remediator.consider(incident);
    return (await done).execution.id;
  }

  it('passes `x; touch pwned.txt` as one literal argv element', async () => {
    h = await startHarness({ config, runbooks: [runbook(dir)] });
    const id = await fire({ payload: PAYLOAD });
    const steps = await h.engine.store.executions.steps(id);
    const echo = steps.find((s) => s.name === 'echo')!;
    expect(echo.status).toBe('succeeded');
    expect(echo.output).toContain(PAYLOAD);
    expect(existsSync(join(dir, 'pwned.txt'))).toBe(false);
    // touch got the whole value as one file name: proof that no shell split it.
    expect(readdirSync(dir)).toEqual([PAYLOAD]);
  });

  it('refuses a value that does not match the pattern the runbook declares, and runs nothing', async () => {
    h = await startHarness({ config, runbooks: [runbook(dir, 'inputs:\n  labels.payload: { pattern: "^[a-z0-9-]+$" }')] });
    const id = await fire({ payload: PAYLOAD });
    const exec = await h.engine.store.executions.get(id);
    expect(exec?.status).toBe('failed');
    const steps = await h.engine.store.executions.steps(id);
    expect(steps[0]!.error).toMatch(/^unsafe: .*labels\.payload/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
