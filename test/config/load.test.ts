import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { compileConfig, compileConfigValue, loadConfig } from '../../src/config/load.js';
import { probes } from '../fixtures/registries.js';

const FIX = 'test/fixtures/config';

/** The issue lines of a config that must not compile. */
function errorsOf(text: string, file = 'medic.yaml'): string[] {
  try {
    compileConfig(text, file, { probes });
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: the demo', () => {
  // The demo is tuned by others; here it only has to load and hang together.
  it('loads examples/demo/medic.yaml', () => {
    const config = loadConfig('examples/demo/medic.yaml', { probes });
    expect(config.file).toBe(resolve('examples/demo/medic.yaml'));
    expect(Object.keys(config.targets).length).toBeGreaterThan(0);
    expect(config.probes.every((p) => Object.hasOwn(config.targets, p.target))).toBe(true);
    expect(config.rules.every((r) => r.bands.length > 0)).toBe(true);
    expect(config.runbookPaths).toEqual([resolve('examples/demo/runbooks')]);
    expect(Object.isFrozen(config.rules)).toBe(true);
  });
});

describe('loadConfig: a full config', () => {
  const config = loadConfig(`${FIX}/full.yaml`, { probes });

  it('keeps its values and applies the defaults', () => {
    expect(config.server).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(config.policy.cooldownMs).toBe(1000);
    expect(config.policy.settleMs).toBe(100);
    expect(config.policy.rateLimits).toEqual({ globalPerMinute: 30, globalPerHour: 600, perTargetPerHour: 300 });
    expect(config.policy.approval).toEqual({ P0: 'required', P1: 'required', P2: 'auto', P3: 'auto' });
    expect(config.policy.circuitBreaker.failures).toBe(3);
    expect(Object.keys(config.targets)).toEqual(['demo']);
    expect(config.probes.map((p) => [p.name, p.intervalMs, p.timeoutMs])).toEqual([
      ['demo-process', 500, 5000], ['demo-health', 100, 100], ['demo-metrics', 500, 400],
    ]);
    expect(config.rules).toHaveLength(6);
    expect(config.notify.channels).toEqual([{ type: 'console', name: 'console', events: null, minSeverity: 'P3', retries: 4, timeoutMs: 10_000 }]);
  });

  it('resolves relative paths against the config file\'s folder', () => {
    expect(config.targets.demo!.process!.cwd).toBe(resolve(FIX, '../..'));
    expect(config.runbookPaths).toEqual([resolve(FIX, 'runbooks')]);
    expect(config.storage.dataDir).toBe(resolve(FIX, '.medic'));
  });

  it('compiles a supervised process with ms durations and its port', () => {
    const p = config.targets.demo!.process!;
    expect(p).toMatchObject({
      command: 'node', args: ['dist/demo/server.js'], env: { PORT: '{{port}}' }, basePort: 7071,
      replicas: 1, maxReplicas: 4, graceMs: 2000, logMaxBytes: 10 * 1024 * 1024,
      ready: { url: 'http://127.0.0.1:{{port}}/health', timeoutMs: 10_000, intervalMs: 10 },
      restartBackoff: { initialMs: 100, maxMs: 5000, attempts: 3 },
    });
  });

  it('compiles severity + condition into one band and value + bands into several, in order', () => {
    const crashed = config.rules.find((r) => r.name === 'demo-crashed')!;
    expect(crashed.bands).toEqual([{
      severity: 'P1',
      condition: { kind: 'compare', value: { signal: 'process_up', fn: 'last' }, op: 'eq', threshold: 0 },
    }]);
    const slow = config.rules.find((r) => r.name === 'demo-slow')!;
    expect(slow.bands.map((b) => b.severity)).toEqual(['P1', 'P2']);
    expect(slow.bands[1]!.condition).toEqual({
      kind: 'compare', value: { signal: 'latency_p95_ms', fn: 'avg', windowMs: 2000 }, op: 'gt', threshold: 500,
    });
    expect(slow).toMatchObject({ forMs: 1000, cooldownMs: null, priority: 0, targets: ['demo'], runbooks: ['restart-demo-slow'], labels: {} });
    const errors = config.rules.find((r) => r.name === 'demo-error-spike')!;
    expect(errors.bands[0]!.condition.kind).toBe('all');
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.targets.demo!.process!.args)).toBe(true);
    expect(Object.isFrozen(config.rules[0]!.bands[0]!.condition)).toBe(true);
    expect(() => { (config.policy as { cooldownMs: number }).cooldownMs = 0; }).toThrow(TypeError);
  });
});

describe('loadConfig: defaults and overrides', () => {
  it('applies every SPEC §5 default to a minimal file', () => {
    const c = loadConfig(`${FIX}/minimal.yaml`, { probes });
    expect(c.server).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(c.storage).toEqual({
      dataDir: resolve(FIX, '.medic'), signalRetentionMs: 3_600_000, historyRetentionMs: 180 * 86_400_000,
    });
    expect(c.policy).toEqual({
      mode: 'active', autoRemediation: true,
      approval: { P0: 'required', P1: 'required', P2: 'auto', P3: 'auto' },
      rateLimits: { globalPerMinute: 1, globalPerHour: 10, perTargetPerHour: 10 },
      cooldownMs: 120_000, circuitBreaker: { failures: 3 }, flap: { max: 3, withinMs: 15 * 60_000 }, maxConcurrent: 4,
      blastRadius: { targetsPerHour: 3 }, settleMs: 5000,
      approvalTimeoutMs: { P0: 15 * 60_000, P1: 60 * 60_000, P2: 60 * 60_000, P3: 60 * 60_000 },
      fourEyes: { P0: true, P1: true, P2: true, P3: true },
    });
    expect(c.targets.api).toEqual({ name: 'api', labels: {}, process: null });
  });

  it('lets the command line override port and data dir (relative to the current directory)', () => {
    const c = loadConfig(`${FIX}/minimal.yaml`, { probes, overrides: { port: 9999, dataDir: 'tmp/data' } });
    expect(c.server.port).toBe(9999);
    expect(c.storage.dataDir).toBe(resolve('tmp/data'));
  });

  it('takes the API body limit from api.body_limit (default 1 MiB) and refuses a tiny one, naming the field', () => {
    expect(compileConfig('', 'empty.yaml', { probes }).api.bodyLimit).toBe(1024 * 1024);
    expect(compileConfig('api: { body_limit: 65536 }', 'medic.yaml', { probes }).api.bodyLimit).toBe(65536);
    expect(() => compileConfig('api: { body_limit: 10 }', 'medic.yaml', { probes })).toThrow(/medic\.yaml:1:\d+ api\.body_limit/);
  });

  it('treats an empty file as an all-defaults config', () => {
    expect(compileConfig('', 'empty.yaml', { probes }).policy.maxConcurrent).toBe(4);
  });

  it('applies process defaults', () => {
    const c = compileConfig('targets:\n  - name: w\n    process: { command: node }\n', '/srv/medic/medic.yaml', { probes });
    expect(c.targets.w!.process).toEqual({
      command: 'node', args: [], cwd: '/srv/medic', env: {}, basePort: null, replicas: 1, maxReplicas: 10, maxUnavailable: 1,
      ready: null, graceMs: 5000, logMaxBytes: 10 * 1024 * 1024,
      restartBackoff: { initialMs: 100, maxMs: 5000, attempts: 3 },
    });
  });

  it('defaults a probe to every 10s with a 5s timeout and resolves a log channel path', () => {
    const c = compileConfig([
      'targets: [{ name: w }]',
      'probes: [{ name: p, type: host, target: w }]',
      'notify: { channels: [{ type: log, path: logs/notify.log, min_severity: P1 }] }',
    ].join('\n'), '/srv/medic/medic.yaml', { probes });
    expect(c.probes[0]).toMatchObject({ intervalMs: 10_000, timeoutMs: 5000, params: {} });
    expect(c.notify.channels).toEqual([{ type: 'log', name: 'log', events: null, minSeverity: 'P1', retries: 4, timeoutMs: 10_000, path: '/srv/medic/logs/notify.log' }]);
  });
});

describe('loadConfig: errors name file, line and field', () => {
  it('reports unknown fields at the key, with their parent path', () => {
    let err: unknown;
    try {
      loadConfig(`${FIX}/unknown-field.yaml`, { probes });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).lines()).toEqual([
      `${FIX}/unknown-field.yaml:3:3 server: unknown field 'prots'`,
      `${FIX}/unknown-field.yaml:9:31 rules[0].condition: unknown field 'gtt'`,
    ]);
  });

  it('refuses a channel event name that no notification has, naming file, line and field', () => {
    const text = 'notify:\n  channels:\n    - type: console\n      events: [detected, escalate, fix*, pending*]\n';
    expect(errorsOf(text)).toEqual([
      expect.stringMatching(/^medic\.yaml:4:\d+ notify\.channels\[0\]\.events\[1\]: unknown event 'escalate' \(known: detected, /),
      expect.stringMatching(/^medic\.yaml:4:\d+ notify\.channels\[0\]\.events\[3\]: unknown event 'pending\*'/),
    ]);
    expect(compileConfig('notify:\n  channels:\n    - { type: console, events: [detected, circuit_*] }\n', 'medic.yaml', { probes })
      .notify.channels[0]!.events).toEqual(['detected', 'circuit_*']);
  });

  it('reports a bad duration at its value', () => {
    expect(errorsOf('policy:\n  cooldown: 5x\n')).toEqual([
      "medic.yaml:2:13 policy.cooldown: invalid duration '5x' (use e.g. 250ms, 30s, 1m, 1h30m, 7d or a number of ms)",
    ]);
  });

  it('rejects bands that are not ordered from most to least severe', () => {
    expect(() => loadConfig(`${FIX}/bad-bands.yaml`, { probes })).toThrow(ConfigError);
    try {
      loadConfig(`${FIX}/bad-bands.yaml`, { probes });
    } catch (e) {
      expect((e as ConfigError).lines()).toEqual([
        `${FIX}/bad-bands.yaml:8:9 rules[0].bands[1]: bands must go from most to least severe: P1 comes after P2 (bands[0])`,
      ]);
    }
  });

  it('rejects a band that a more severe band always shadows', () => {
    const lines = errorsOf([
      'rules:',
      '  - name: disk',
      '    value: { signal: disk }',
      '    bands:',
      '      - { severity: P1, gt: 80 }',
      '      - { severity: P2, gt: 90 }',
    ].join('\n'));
    expect(lines).toEqual(['medic.yaml:6:9 rules[0].bands[1]: P2 > 90 can never apply: P1 > 80 (bands[0]) already holds whenever it does']);
  });

  it('reports duplicate names of targets, probes and rules at the second one', () => {
    const lines = errorsOf([
      'targets: [{ name: a }, { name: a }]',
      'probes:',
      '  - { name: p, type: host, target: a }',
      '  - { name: p, type: host, target: a }',
      'rules:',
      '  - { name: r, severity: P2, condition: { signal: s, gt: 1 } }',
      '  - { name: r, severity: P2, condition: { signal: s, gt: 1 } }',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:1:32 targets[1].name: duplicate target name 'a' (first defined at targets[0])",
      "medic.yaml:4:13 probes[1].name: duplicate probe name 'p' (first defined at probes[0])",
      "medic.yaml:7:13 rules[1].name: duplicate rule name 'r' (first defined at rules[0])",
    ]);
  });

  it('names the field of an unknown probe type, a missing target and a missing rule target', () => {
    const lines = errorsOf([
      'targets: [{ name: web }]',
      'probes:',
      '  - { name: p, type: htp, target: wbe }',
      'rules:',
      '  - { name: r, targets: [web, db], severity: P2, condition: { signal: s, gt: 1 } }',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:3:22 probes[0].type: unknown probe type 'htp': did you mean 'http'? (known: host, http, process, prometheus_text)",
      "medic.yaml:3:35 probes[0].target: unknown target 'wbe' (targets: web)",
      "medic.yaml:5:31 rules[0].targets[1]: unknown target 'db' (targets: web)",
    ]);
  });

  it('names an unknown or self-naming cause in inhibited_by, with file, line and field', () => {
    const lines = errorsOf([
      'targets: [{ name: web }]',
      'rules:',
      '  - { name: crashed, severity: P1, condition: { signal: up, eq: 0 } }',
      '  - { name: unhealthy, severity: P1, condition: { signal: ok, lt: 1 }, inhibited_by: [crashed, crashd, unhealthy] }',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:4:96 rules[1].inhibited_by[1]: unknown rule 'crashd' (rules: crashed, unhealthy)",
      'medic.yaml:4:104 rules[1].inhibited_by[2]: a rule cannot inhibit itself',
    ]);
  });

  it('checks probe params with the probe type\'s schema, leaving templated values for run time', () => {
    const lines = errorsOf([
      'targets: [{ name: web }]',
      'probes:',
      '  - name: ok',
      '    type: http',
      '    target: web',
      '    params: { url: "http://127.0.0.1:{{port}}/health" }',
      '  - name: bad',
      '    type: http',
      '    target: web',
      '    params: { url: "not a url", expect_status: two hundred }',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:10:20 probes[1].params.url: 'not a url' is not a valid url",
      "medic.yaml:10:48 probes[1].params.expect_status: expected a number, got 'two hundred'",
    ]);
  });

  it('says what is wrong with a condition', () => {
    const lines = errorsOf([
      'rules:',
      '  - name: two-ops',
      '    severity: P2',
      '    condition: { signal: s, gt: 1, lt: 5 }',
      '  - name: mixed',
      '    severity: P2',
      '    condition: { signal: s, all: [{ signal: t, gt: 1 }] }',
      '  - name: no-window',
      '    severity: P2',
      '    condition: { signal: s, fn: avg, gt: 1 }',
      '  - name: no-severity',
      '    condition: { signal: s, gt: 1 }',
      '  - name: both',
      '    severity: P1',
      '    condition: { signal: s, gt: 1 }',
      '    value: { signal: s }',
      '    bands: [{ severity: P1, gt: 1 }]',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:4:16 rules[0].condition: has gt and lt: give exactly one comparison (combine several with 'all')",
      "medic.yaml:7:16 rules[1].condition: 'all' cannot be combined with 'signal': put the comparison inside the list",
      "medic.yaml:10:16 rules[2].condition: fn 'avg' reads a window: add 'window' (e.g. 1m) or 'samples' (e.g. 3)",
      "medic.yaml:11:5 rules[3]: missing required field 'severity'",
      "medic.yaml:13:5 rules[4]: give either 'severity' + 'condition' or 'value' + 'bands', not both",
    ]);
  });

  it('reports wrong types, missing required fields and bad enums', () => {
    const lines = errorsOf([
      'server: { port: seventy }',
      'policy: { mode: yolo }',
      'targets:',
      '  - labels: { a: b }',
      '    process: { command: node, replicas: 5, max_replicas: 2 }',
    ].join('\n'));
    expect(lines).toEqual([
      "medic.yaml:1:17 server.port: expected a number, got 'seventy'",
      "medic.yaml:2:17 policy.mode: expected one of active, shadow, got 'yolo'",
      "medic.yaml:4:5 targets[0]: missing required field 'name'",
    ]);
  });

  it('checks a process\'s replicas against its maximum and {{port}} against a port', () => {
    const lines = errorsOf([
      'targets:',
      '  - name: w',
      '    process: { command: node, args: ["--port={{port}}"], replicas: 5, max_replicas: 2 }',
    ].join('\n'));
    expect(lines).toEqual([
      'medic.yaml:3:68 targets[0].process.replicas: 5 is more than max_replicas (2)',
      "medic.yaml:3:14 targets[0].process: uses {{port}} but has no 'port' (replica i listens on port + i)",
    ]);
  });

  it('checks max_unavailable: a positive integer, at most max_replicas', () => {
    expect(errorsOf('targets:\n  - name: v\n    process: { command: node, max_unavailable: 0 }\n')).toEqual([
      expect.stringMatching(/^medic\.yaml:3:\d+ targets\[0\]\.process\.max_unavailable: /),
    ]);
    expect(errorsOf('targets:\n  - name: w\n    process: { command: node, max_replicas: 3, max_unavailable: 4 }\n')).toEqual([
      'medic.yaml:3:65 targets[0].process.max_unavailable: 4 is more than max_replicas (3)',
    ]);
  });

  it('reports broken YAML with its line and the parser\'s message', () => {
    const lines = errorsOf('server:\n  host: [127.0.0.1\nrules: []\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^medic\.yaml:\d+:\d+ YAML: /);
    expect(lines[0]!.split(':')[1]).not.toBe('0');
  });

  it('reports a duplicate key as a YAML error at that key', () => {
    expect(errorsOf('server:\n  port: 1\n  port: 2\n')).toEqual([
      expect.stringMatching(/^medic\.yaml:3:3 YAML: Map keys must be unique/),
    ]);
  });

  it('reports a missing file as a ConfigError naming it', () => {
    expect(() => loadConfig('nope/medic.yaml', { probes })).toThrow('nope/medic.yaml cannot read: no such file');
  });

  it('never echoes the password of a URL it quotes, and keeps each issue on one line', () => {
    const lines = errorsOf([
      'targets: [{ name: w }]',
      'probes: [{ name: p, type: http, target: w, params: { url: "http://medic:s3cret@db host/" } }]',
    ].join('\n'));
    expect(lines).toEqual(["medic.yaml:2:59 probes[0].params.url: 'http://medic:***@db host/' is not a valid url"]);
    expect(errorsOf('server: { port: "multi\\nline" }')).toEqual(["medic.yaml:1:17 server.port: expected a number, got 'multi line'"]);
  });

  it('compiles plain data without freezing the caller\'s objects', () => {
    const params = { url: 'http://127.0.0.1/health' };
    const c = compileConfigValue({ targets: [{ name: 'w' }], probes: [{ name: 'p', type: 'http', target: 'w', params }] }, null, { probes });
    expect(c.probes[0]!.params).toEqual(params);
    expect(Object.isFrozen(params)).toBe(false);
    expect(() => compileConfigValue({ server: { prots: 1 } }, null, { probes })).toThrow("<config> server: unknown field 'prots'");
  });

  it('collects every error before throwing', () => {
    const lines = errorsOf('server: { prot: 1 }\npolicy: { cooldown: soon, settle: later }\n');
    expect(lines).toHaveLength(3);
  });
});

describe('schedules in medic.yaml', () => {
  it('names the field of a bad cron pattern, an unknown time zone and an unknown target', async () => {
    const { compileConfig } = await import('../../src/config/load.js');
    const { probes } = await import('../fixtures/registries.js');
    const text = [
      'targets:', '  - name: db', 'schedules:',
      '  - { name: a, runbook: r, target: db, cron: "61 * * * *" }',
      '  - { name: b, runbook: r, target: db, cron: "0 3 * * 0", timezone: Mars/Olympus }',
      '  - { name: c, runbook: r, target: nope, cron: "0 3 * * 0", catch_up: true }',
    ].join('\n');
    let lines: string[] = [];
    try {
      compileConfig(text, 'm.yaml', { probes });
    } catch (err) {
      lines = (err as { lines(): string[] }).lines();
    }
    expect(lines).toEqual([
      expect.stringMatching(/^m\.yaml:4:\d+ schedules\[0\]\.cron: not a valid cron pattern: /),
      expect.stringMatching(/^m\.yaml:5:\d+ schedules\[1\]\.timezone: unknown time zone 'Mars\/Olympus'/),
      expect.stringMatching(/^m\.yaml:6:\d+ schedules\[2\]\.target: unknown target 'nope'/),
    ]);
  });
});
