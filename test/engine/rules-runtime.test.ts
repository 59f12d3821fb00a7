import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/drivers/log.js';
import { RuleBook } from '../../src/engine/rules-runtime.js';
import { systemClock } from '../../src/drivers/clock.js';
import { openSqliteStore } from '../../src/store/database.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P1, gt: 95 }
      - { severity: P2, gt: 85 }
`);

const runbook = `
name: cool-down-web
description: Make the CPU cool down.
match: { rules: [cpu-high, queue-long] }
risk: low
impact: none
rollback_plan: none
steps:
  - name: cool
    action: record
verify:
  timeout: 2s
  interval: 20ms
watch: { duration: 0s }
`;

const queueRule = { name: 'queue-long', description: 'Jobs pile up', targets: ['web'], value: { signal: 'queue', fn: 'last' }, bands: [{ severity: 'P2', gt: 100 }] };

describe('runtime rules', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('lists file rules with what they read now on each target', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    h.world['cpu'] = 42;
    await h.next('signals');
    const [rule] = h.engine.ruleList();
    expect(rule).toMatchObject({
      name: 'cpu-high', source: 'file', for: 0, component: 'compute',
      bands: [{ severity: 'P1', condition: 'cpu > 95', threshold: 95 }, { severity: 'P2', condition: 'cpu > 85', threshold: 85 }],
      current: [{ target: 'web', value: 42, holding: false, severity: null, phase: 'ok' }],
    });
  });

  it('a created rule is stored, audited, listed as api, and judged by the detector at once', async () => {
    h = await startHarness({ config, runbooks: [runbook], onRecord: (_p, w) => { w['queue'] = 0; } });
    const view = await h.engine.createRule(queueRule, 'alice');
    expect(view).toMatchObject({ name: 'queue-long', source: 'api', createdBy: 'alice', bands: [{ severity: 'P2', threshold: 100 }] });
    expect((await h.engine.store.runtimeRules.list()).map((r) => r.name)).toEqual(['queue-long']);

    const fixed = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
    h.world['queue'] = 500;
    const { execution } = await fixed;
    expect(execution.runbook).toBe('cool-down-web');
    expect((await h.engine.store.incidents.get(execution.incidentId!))?.rule).toBe('queue-long');

    const updated = await h.engine.updateRule('queue-long', { ...queueRule, name: undefined, bands: [{ severity: 'P1', gt: 1000 }] }, 'bob');
    expect(updated.bands).toEqual([{ severity: 'P1', condition: 'queue > 1000', threshold: 1000 }]);
    await h.engine.deleteRule('queue-long', 'bob');
    expect(h.engine.ruleList().map((r) => r.name)).toEqual(['cpu-high']);
    expect(await h.engine.store.runtimeRules.list()).toEqual([]);
    const audit = await h.engine.store.audit.list({ kind: 'rule' });
    expect(audit.items.map((a) => [a.actor, a.result]).reverse()).toEqual([['alice', 'created'], ['bob', 'updated'], ['bob', 'deleted']]);
  });

  it('refuses bad specs naming the field, and file rules, duplicates and unknown names', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    const cases = [
      [{ ...queueRule, bands: [{ severity: 'P2', gt: 'lots' }] }, 'bands[0].gt'],
      [{ ...queueRule, targets: ['db'] }, 'targets[0]'],
      [{ ...queueRule, colour: 'red' }, 'colour'],
      [{ ...queueRule, component: 'kitchen' }, 'component'],
      [{ ...queueRule, runbooks: ['nope'] }, 'runbooks[0]'],
      ['not a rule', 'rule'],
    ] as const;
    for (const [spec, field] of cases) {
      const err = await h.engine.createRule(spec, 'alice').catch((e: unknown) => e);
      expect(err, JSON.stringify(spec)).toMatchObject({ code: 'bad_request' });
      expect((err as Error).message).toContain(field);
    }
    await expect(h.engine.createRule({ ...queueRule, name: 'cpu-high' }, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.engine.deleteRule('cpu-high', 'alice')).rejects.toMatchObject({ code: 'conflict', message: /config file/ });
    await expect(h.engine.updateRule('cpu-high', queueRule, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.engine.deleteRule('nope', 'alice')).rejects.toMatchObject({ code: 'not_found' });
    await h.engine.createRule(queueRule, 'alice');
    await expect(h.engine.createRule(queueRule, 'alice')).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.engine.updateRule('queue-long', { ...queueRule, name: 'other' }, 'alice')).rejects.toMatchObject({ code: 'bad_request', details: { field: 'name' } });
  });

  it('says which rules would hold for given values, with runbook and approval, and changes nothing', async () => {
    h = await startHarness({ config, runbooks: [runbook] });
    await h.engine.createRule(queueRule, 'alice');
    const auditBefore = (await h.engine.store.audit.list()).total;
    const results = h.engine.testRules({ web: { cpu: 97, queue: 10 } });
    expect(results).toEqual([
      { rule: 'cpu-high', target: 'web', holds: true, severity: 'P1', runbook: 'cool-down-web', needsApproval: true, reason: expect.stringMatching(/cpu = 97 > 95; needs approval: P1/) },
      { rule: 'queue-long', target: 'web', holds: false, severity: null, runbook: null, needsApproval: null, reason: expect.stringContaining('queue = 10') },
    ]);
    expect(h.engine.testRules({ web: { cpu: 90 } })[0]).toMatchObject({ holds: true, severity: 'P2', needsApproval: false, reason: expect.stringMatching(/auto: P2/) });
    expect(() => h.engine.testRules({ db: { cpu: 1 } })).toThrow(/signals\.db: unknown target/);
    expect(() => h.engine.testRules({ web: { cpu: 'hot' } } as never)).toThrow(/signals\.web\.cpu/);
    await h.engine.idle();
    expect((await h.engine.store.audit.list()).total).toBe(auditBefore);
    expect((await h.engine.store.incidents.list()).total).toBe(0);
    expect((await h.engine.store.executions.list()).total).toBe(0);
  });
});

describe('stored runtime rules', () => {
  it('are loaded at start; one that no longer compiles is skipped', async () => {
    const store = await openSqliteStore({ file: ':memory:' });
    try {
      await store.runtimeRules.put({ name: 'queue-long', spec: queueRule, createdBy: 'alice', createdAt: 1, updatedAt: 1 });
      await store.runtimeRules.put({ name: 'gone', spec: { ...queueRule, name: 'gone', targets: ['removed'] }, createdBy: 'alice', createdAt: 1, updatedAt: 1 });
      const book = new RuleBook({ fileRules: [], targets: ['web'], runbooks: () => [], store, clock: systemClock, log: silentLogger, audit: async () => {} });
      await book.load();
      expect(book.all().map((r) => r.name)).toEqual(['queue-long']);
      expect(book.sourceOf('queue-long')).toMatchObject({ source: 'api', record: { createdBy: 'alice' } });
    } finally {
      await store.close();
    }
  });
});
