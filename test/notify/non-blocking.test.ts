import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/drivers/log.js';
import { createNotifier, type Notifier } from '../../src/notify/notifier.js';
import { freePort } from '../support/processes.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { startReceiver } from './receiver.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`);

const runbook = `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high] }
risk: low
impact: none
rollback_plan: none
steps:
  - name: tell
    action: notify
    params: { message: "cooling web down" }
  - name: cool
    action: record
verify:
  timeout: 5s
  interval: 20ms
watch: { duration: 0s }
`;

describe('a slow or dead receiver', () => {
  let h: Harness | undefined;
  let notifier: Notifier | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await h?.close();
    await notifier?.close();
    for (const c of closers.splice(0)) await c();
  });

  it('does not delay the remediation: the fix runs and verifies while deliveries hang or fail', async () => {
    const slow = await startReceiver({ hold: true });
    closers.push(slow.close);
    const dead = `http://127.0.0.1:${await freePort()}/hook`;
    notifier = createNotifier([
      { type: 'webhook', name: 'slow', events: null, minSeverity: 'P3', retries: 0, timeoutMs: 30_000, url: `${slow.url}/hook`, secret: null, headers: {} },
      { type: 'slack', name: 'dead', events: null, minSeverity: 'P3', retries: 5, timeoutMs: 30_000, url: dead, dashboardUrl: null },
    ], silentLogger);
    h = await startHarness({ config, runbooks: [runbook], notifier, onRecord: (_p, w) => { w['cpu'] = 10; } });

    const started = performance.now();
    const resolved = h.next('incident:resolved', undefined, 10_000);
    h.world['cpu'] = 99;
    const { why } = await resolved;
    const took = performance.now() - started;

    expect(why).toMatch(/^fixed by cool-down-web/);
    expect(h.calls).toHaveLength(1);
    // Far less than the slow receiver's 30 s or the dead one's retries.
    expect(took).toBeLessThan(3_000);
    // Meanwhile the slow receiver holds the first notification unanswered, and the dead one is being retried.
    const n = notifier;
    await until(() => slow.got.length >= 1 && n.stats()['dead']!.retried >= 1);
    expect(n.stats()['slow']).toMatchObject({ sent: 0, failed: 0 });
    expect(n.stats()['dead']).toMatchObject({ sent: 0, failed: 0 });
  }, 20_000);
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error('condition not reached');
}
