import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvents } from '../../src/core/events.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { engineApi } from '../../src/engine/api-port.js';

const config = configYaml(`
policy:
  cooldown: 0s
  circuit_breaker: { failures: 1 }
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
`);

const failing = `
name: fail-web
description: A fix that fails.
match: { rules: [cpu-high] }
risk: low
impact: none
rollback_plan: none
steps:
  - name: exit-3
    action: exec
    params: { argv: ['${process.execPath}', '-e', 'process.exit(3)'] }
verify:
  timeout: 1s
watch: { duration: 0s }
`;

describe('problems, signals, breakers and runbooks', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('lists the problems holding now and the signals around an incident', async () => {
    h = await startHarness({ config, runbooks: [] });
    h.world['cpu'] = 20;
    h.world['mem'] = 50;
    await h.next('signals');
    expect(h.engine.problems()).toEqual([]);
    const opened = h.next('incident:opened');
    h.world['cpu'] = 90;
    const { incident } = await opened;
    expect(h.engine.problems()).toEqual([{ rule: 'cpu-high', target: 'web', labels: {}, severity: 'P2', since: expect.any(Number), value: 90, explain: 'cpu = 90 > 85' }]);

    await h.next('signals');
    const { series } = await h.engine.signalsAround(incident.id, 60_000, 60_000);
    expect(series.map((s) => s.name)).toEqual(['cpu', 'mem']);
    const cpu = series[0]!.points;
    expect(cpu.some((p) => p.value === 20 && p.at < incident.openedAt)).toBe(true);
    expect(cpu.some((p) => p.value === 90)).toBe(true);
    expect(cpu.every((p, i) => i === 0 || p.at > cpu[i - 1]!.at)).toBe(true);
    const none = await h.engine.signalsAround(incident.id, 0, 0);
    expect(none.series[0]!.points.every((p) => p.at === incident.openedAt)).toBe(true);
    await expect(h.engine.signalsAround('inc_nope', 1, 1)).rejects.toMatchObject({ code: 'not_found' });
    await expect(h.engine.signalsAround(incident.id, -1, 1)).rejects.toMatchObject({ code: 'bad_request', details: { field: 'before' } });
  });

  it('lists an open breaker with its failures, and a reset closes it, audited and announced', async () => {
    h = await startHarness({ config, runbooks: [failing] });
    const opened = h.next('breaker:changed', (e) => e.state === 'open');
    h.world['cpu'] = 90;
    await opened;
    await h.engine.idle();
    const [b] = h.engine.breakerList();
    expect(b).toMatchObject({ key: 'fail-web@web', runbook: 'fail-web', target: 'web', state: 'open', failures: [expect.any(Number)] });
    const events: EngineEvents['breaker:changed'][] = [];
    h.engine.events.on('breaker:changed', (e) => events.push(e));
    const reset = await h.engine.resetBreaker('fail-web@web', 'root');
    expect(reset).toMatchObject({ state: 'closed', failures: [], openedAt: null });
    expect(events).toEqual([{ key: 'fail-web@web', state: 'closed', failures: [] }]);
    expect((await h.engine.store.breakers.get('fail-web@web'))?.state).toBe('closed');
    const audit = await h.engine.store.audit.list({ kind: 'breaker', actor: 'root' });
    expect(audit.items.map((a) => a.result)).toEqual(['reset']);
    await expect(h.engine.resetBreaker('nope@web', 'root')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lists runbooks, shows one in full, and validates posted ones with line and field', async () => {
    h = await startHarness({ config, runbooks: [failing] });
    expect(engineApi(h.engine).runbookList()).toEqual([{
      name: 'fail-web', description: 'A fix that fails.', risk: 'low', approval: 'by_severity', match: { rules: ['cpu-high'], targets: null, labels: {} },
      strategies: [{ name: 'default', steps: [{ name: 'exit-3', action: 'exec' }] }], valid: true, file: '/virtual/runbook-0.yaml',
    }]);
    expect(engineApi(h.engine).runbook('fail-web')).toMatchObject({ impact: 'none', verify: { timeoutMs: 1000, ruleCleared: true }, strategies: [{ steps: [{ params: { argv: [process.execPath, '-e', 'process.exit(3)'] } }] }] });
    expect(engineApi(h.engine).runbook('nope')).toBeUndefined();

    expect(h.engine.validateRunbook(failing)).toEqual({ valid: true, errors: [] });
    const broken = failing.replace('action: exec', 'action: exce').replace('risk: low', 'risk: tiny');
    const result = h.engine.validateRunbook(broken);
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ line: 5, field: 'risk' }),
    ]));
    const unknownAction = h.engine.validateRunbook(failing.replace('action: exec', 'action: exce'));
    expect(unknownAction.errors).toEqual([expect.objectContaining({ line: 10, field: 'steps[0].action', message: expect.stringMatching(/exce/) })]);
    expect(h.engine.validateRunbook('name: [').errors[0]).toMatchObject({ field: '', message: expect.stringMatching(/^YAML/) });
    expect(h.engine.validateRunbook(JSON.stringify({ name: 'x' })).valid).toBe(false);
    expect(() => h.engine.validateRunbook(42 as never)).toThrow(/body/);
  });
});
