import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinProbes } from '../../src/probes/index.js';
import { compileConfig } from '../../src/config/load.js';
import { backtest } from '../../src/engine/backtest.js';
import { parseSignalFile, toSignalLine } from '../../src/engine/signal-file.js';
import { runCli } from '../support/cli.js';
import { configYaml, startHarness } from '../support/engine-harness.js';

const rules = `
policy:
  cooldown: 0s
  rate_limits: { global_per_minute: 100, global_per_hour: 1000, per_target_per_hour: 1000 }
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P2, gt: 85 }
  - name: disk-full
    targets: [web]
    value: { signal: disk, fn: last }
    bands:
      - { severity: P1, gt: 90 }
`;

const runbook = (name: string, rule: string) => `
name: ${name}
description: ${name}
match: { rules: [${rule}] }
risk: low
impact: test
rollback_plan: none
steps:
  - { name: fix, action: record, params: { fix: ${rule} } }
verify: { timeout: 2s, interval: 20ms }
watch: { duration: 0s }
`;

describe('backtest', () => {
  it('attaches a symptom to its open cause as the engine does (inhibited_by): one incident, not two', () => {
    const config = compileConfig(configYaml(`${rules}    inhibited_by: [cpu-high]\n`), '/virtual/medic.yaml', { probes: builtinProbes() });
    const at = Date.UTC(2026, 0, 1);
    const signals = [0, 1, 2].flatMap((i) => [
      { source: 'test', target: 'web', name: 'cpu', value: 97, labels: {}, at: at + i * 1_000 },
      { source: 'test', target: 'web', name: 'disk', value: 95, labels: {}, at: at + i * 1_000 + 500 },
    ]);
    const events = backtest(config, [], signals);
    expect(events.filter((e) => e.event === 'opened').map((e) => e.rule)).toEqual(['cpu-high']);
  });

  it('replays the live engine\'s own recorded signals to the same incidents, runbook choices and policy verdicts', async () => {
    const h = await startHarness({
      config: configYaml(rules),
      runbooks: [runbook('cool-down', 'cpu-high'), runbook('free-disk', 'disk-full')],
      onRecord: (p, world) => { if (p['fix'] === 'cpu-high') world['cpu'] = 10; },
    });
    let exported: string;
    let live: { rule: string; target: string; severity: string; runbook: string; verdict: string }[];
    try {
      h.world['cpu'] = 40;
      h.world['disk'] = 50;
      await h.next('signals');
      for (let n = 0; n < 2; n++) {
        const fixed = h.next('execution:transition', (e) => e.execution.status === 'succeeded');
        h.world['cpu'] = 97;
        await fixed;
        await h.next('incident:resolved');
        await h.next('signals', (e) => e.signals.some((s) => s.name === 'cpu' && s.value === 10));
      }
      const waiting = h.next('execution:created', (e) => e.execution.status === 'awaiting_approval');
      h.world['disk'] = 95;
      await waiting;
      await h.engine.stop();
      const incidents = (await h.engine.store.incidents.list({ order: 'asc' })).items;
      const executions = (await h.engine.store.executions.list({ order: 'asc' })).items;
      live = incidents.map((i) => {
        const e = executions.find((x) => x.incidentId === i.id)!;
        return { rule: i.rule, target: i.target, severity: i.severity, runbook: e.runbook, verdict: e.status === 'awaiting_approval' ? 'approval' : 'run' };
      });
      // What `medic signals export` prints.
      exported = (await h.engine.store.signals.list()).map(toSignalLine).join('\n');
    } finally {
      await h.close();
    }
    expect(live.map((l) => `${l.rule} ${l.severity} ${l.runbook} ${l.verdict}`)).toEqual([
      'cpu-high P2 cool-down run', 'cpu-high P2 cool-down run', 'disk-full P1 free-disk approval',
    ]);

    const config = compileConfig(configYaml(rules), '/virtual/medic.yaml', { probes: builtinProbes() });
    const { runbooks } = h.engine;
    const events = backtest(config, runbooks, parseSignalFile(exported, 'exported.jsonl'));
    const opened = events.filter((e) => e.event === 'opened');
    expect(opened.map((e) => ({ rule: e.rule, target: e.target, severity: e.severity, runbook: e.runbook!, verdict: e.policy!.kind }))).toEqual(live);
    expect(opened[2]!.policy!.reason).toBe('needs approval: P1');
    // The two cpu incidents were resolved between, by the recorded effect of the fix.
    expect(events.filter((e) => e.event === 'resolved').map((e) => e.incident)).toEqual([1, 2]);
  });

  it('names the file, line and field of a bad signal line', () => {
    expect(() => parseSignalFile('{"at":1,"target":"web","name":"cpu","value":1}\n\n{"at":"yesterday","target":"web","name":"cpu","value":1}', 'rec.jsonl'))
      .toThrow(/^rec\.jsonl:3: at: /);
    expect(() => parseSignalFile('{"at":1,"target":"web","name":"cpu"}', 'rec.jsonl')).toThrow('rec.jsonl:1: value: ');
    expect(() => parseSignalFile('nope', 'rec.jsonl')).toThrow(/^rec\.jsonl:1: not JSON/);
  });

  it('medic backtest prints what would have fired, when, at which severity, which runbook and what the policy says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-backtest-'));
    writeFileSync(join(dir, 'medic.yaml'), `${configYaml(rules)}runbooks:\n  paths: [rb.yaml]\n`);
    writeFileSync(join(dir, 'rb.yaml'), runbook('free-disk', 'disk-full').replace('action: record, params: { fix: disk-full }', 'action: notify, params: { message: hi }'));
    writeFileSync(join(dir, 'signals.jsonl'), [
      '# recorded on the web host',
      '{"at":"2026-03-01T10:00:00.000Z","target":"web","name":"disk","value":70}',
      '{"at":"2026-03-01T10:05:00.000Z","target":"web","name":"disk","value":93}',
      '{"at":"2026-03-01T10:20:00.000Z","target":"web","name":"disk","value":60}',
    ].join('\n'));
    const text = await runCli(['backtest', '--signals', 'signals.jsonl', '--config', 'medic.yaml'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/2026-03-01T10:05:00\.000Z\s+opened\s+#1\s+P1\s+disk-full\s+web\s+free-disk\s+approval: needs approval: P1/);
    expect(text.stdout).toMatch(/2026-03-01T10:20:00\.000Z\s+resolved\s+#1/);
    expect(text.stdout).toContain('3 signals replayed: 1 incidents, 0 would have run at once, 1 would have waited for approval; nothing was changed');
    const json = await runCli(['backtest', '--signals', 'signals.jsonl', '--config', 'medic.yaml', '--json'], { cwd: dir });
    expect(JSON.parse(json.stdout).events[0]).toMatchObject({ at: '2026-03-01T10:05:00.000Z', event: 'opened', rule: 'disk-full', severity: 'P1', runbook: 'free-disk', policy: { kind: 'approval' } });
  });
});
