import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../src/config/errors.js';
import { compileRunbook, compileRunbookText } from '../../src/runbooks/compile.js';
import { actions } from '../fixtures/registries.js';

const HEAD = ['name: rb', 'description: d', 'match: { rules: [r] }', 'risk: low', 'impact: i', 'rollback_plan: r'];

function errorsOf(lines: string[], file = 'rb.yaml'): string[] {
  try {
    compileRunbookText(lines.join('\n'), { file, actions });
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('compileRunbook: the demo runbooks', () => {
  const load = (file: string) => compileRunbookText(readFileSync(file, 'utf8'), { file, actions, settleMs: 5000 });

  it.each(['fix-demo-errors', 'restart-demo-slow', 'restart-demo'])('compiles examples/demo/runbooks/%s.yaml', (name) => {
    const rb = load(`examples/demo/runbooks/${name}.yaml`);
    expect(rb.name).toBe(name);
    expect(rb.strategies.length).toBeGreaterThan(0);
    expect(Object.isFrozen(rb.strategies[0]!.steps[0]!.params)).toBe(true);
  });

  it('compiles a runbook with its values and the defaults', () => {
    const rb = load('test/fixtures/runbooks/good/restart-web.yaml');
    expect(rb).toMatchObject({
      name: 'restart-web',
      file: resolve('test/fixtures/runbooks/good/restart-web.yaml'),
      match: { rules: ['demo-crashed', 'demo-unhealthy', 'demo-memory-leak', 'demo-cpu-hot'], targets: ['demo'], labels: {} },
      risk: 'low', approval: 'auto', settleMs: 50, inputs: {},
      verify: {
        timeoutMs: 10_000, intervalMs: 50, ruleCleared: true,
        checks: [{ kind: 'compare', value: { signal: 'http_up', fn: 'last' }, op: 'eq', threshold: 1 }],
      },
      watch: {
        durationMs: 10_000,
        errorRate: { signal: 'error_ratio', factor: 2 },
        latency: { signal: 'latency_p95_ms', factor: 3 },
        health: { signal: 'http_up', failures: 5 },
      },
    });
    expect(rb.strategies).toEqual([{
      name: 'restart',
      steps: [{
        kind: 'action', name: 'restart the process', action: 'process.restart',
        params: { target: '{{ incident.target }}' }, timeoutMs: 15_000, retries: 1,
        backoff: { initialMs: 1000, factor: 2, maxMs: 30_000 }, onFailure: 'abort', when: null, whenSteps: [], idempotent: null, rollback: null,
      }],
    }]);
  });

  it('keeps strategies in the order written', () => {
    expect(load('examples/demo/runbooks/fix-demo-errors.yaml').strategies.map((s) => s.name)).toEqual(['restart', 'scale up']);
  });
});

describe('compileRunbook: shorthand and options', () => {
  const file = 'test/fixtures/runbooks/good/run-script.yml';
  const rb = compileRunbookText(readFileSync(file, 'utf8'), { file, actions });

  it('turns top-level steps into one strategy named "default"', () => {
    expect(rb.strategies.map((s) => s.name)).toEqual(['default']);
  });

  it('compiles every step option', () => {
    expect(rb.strategies[0]!.steps[0]).toEqual({
      kind: 'action', name: 'clean up', action: 'exec',
      params: { argv: ['./cleanup.sh', '{{ labels.service }}', '--port={{target.port}}'], timeout: 5000 },
      timeoutMs: 60_000, retries: 2, backoff: { initialMs: 500, factor: 3, maxMs: 10_000 }, onFailure: 'continue',
      when: { kind: 'compare', value: { signal: 'disk_used_percent', fn: 'avg', windowMs: 60_000 }, op: 'gt', threshold: 80 }, whenSteps: [], idempotent: null,
      rollback: { action: 'notify', params: { message: 'cleanup of {{ labels.service }} failed' } },
    });
  });

  it('compiles verify, watch switches and input patterns (anchored)', () => {
    expect(rb.approval).toBe('required');
    expect(rb.match.labels).toEqual({ tier: 'web' });
    expect(rb.settleMs).toBe(5000);
    expect(rb.verify.ruleCleared).toBe(false);
    expect(rb.verify.checks[0]).toMatchObject({ kind: 'any', of: [{ op: 'lt' }, { op: 'gte', threshold: 1e9, value: { samples: 3 } }] });
    expect(rb.watch).toEqual({ durationMs: 0, errorRate: { signal: 'error_ratio', factor: 2 }, latency: null, health: { signal: 'http_up', failures: 5 } });
    const pattern = rb.inputs['labels.service']!.pattern;
    expect(pattern.test('web-1')).toBe(true);
    expect(pattern.test('web; rm -rf /')).toBe(false);
  });

  it('accepts a spec that is already data, without line numbers in its errors', () => {
    expect(compileRunbook({
      name: 'x', description: 'd', match: { rules: [] }, risk: 'high', impact: 'i', rollback_plan: 'r',
      steps: [{ name: 's', action: 'notify', params: { message: 'm' } }],
    }, { file: 'api', actions }).risk).toBe('high');
    expect(() => compileRunbook({ name: 'x' }, { file: 'api', actions })).toThrow(/^api missing required field 'description'/);
  });

  it('does not freeze the caller\'s objects', () => {
    const params = { message: 'm' };
    const rb = compileRunbook({
      name: 'x', description: 'd', match: { rules: [] }, risk: 'low', impact: 'i', rollback_plan: 'r',
      steps: [{ name: 's', action: 'notify', params }],
    }, { file: 'api', actions });
    expect(Object.isFrozen(rb.strategies[0]!.steps[0]!.params)).toBe(true);
    expect(Object.isFrozen(params)).toBe(false);
  });
});

describe('compileRunbook: errors name file, line and field', () => {
  it('names the step and the line of an unknown action', () => {
    const file = 'test/fixtures/runbooks/bad/unknown-action.yaml';
    expect(() => compileRunbookText(readFileSync(file, 'utf8'), { file, actions })).toThrow(
      `${file}:12:17 strategies[0].steps[0].action: step 'restart the process': unknown action 'proces.restart': did you mean 'process.restart'?`,
    );
  });

  it('names the runbook\'s line and the field that is missing', () => {
    const file = 'test/fixtures/runbooks/bad/missing-risk.yaml';
    expect(errorsOf(readFileSync(file, 'utf8').split('\n'), file)).toEqual([`${file}:1:1 missing required field 'risk'`]);
    expect(errorsOf([...HEAD, 'steps:', '  - name: s'])).toEqual(["rb.yaml:8:5 steps[0]: missing required field 'action'"]);
  });

  it('reports unknown fields, bad durations and bad enums where they are written', () => {
    expect(errorsOf([
      ...HEAD,
      'steps:',
      '  - name: s',
      '    action: notify',
      '    params: { message: hi }',
      '    timout: 5s',
      '    retries: 2',
      '    backoff: { initial: soon }',
      '    on_failure: ignore',
    ])).toEqual([
      "rb.yaml:13:25 steps[0].backoff.initial: invalid duration 'soon' (use e.g. 250ms, 30s, 1m, 1h30m, 7d or a number of ms)",
      "rb.yaml:14:17 steps[0].on_failure: expected one of abort, skip, continue, got 'ignore'",
      "rb.yaml:11:5 steps[0]: unknown field 'timout'",
    ]);
  });

  it('checks literal params against the action\'s schema and leaves templated ones for run time', () => {
    expect(errorsOf([
      ...HEAD,
      'steps:',
      '  - { name: a, action: process.scale, params: { target: "{{ incident.target }}", by: "{{ params.by }}" } }',
      '  - { name: b, action: process.scale, params: { target: web, by: two, force: true } }',
    ])).toEqual([
      "rb.yaml:9:66 steps[1].params.by: expected a number, got 'two'",
      "rb.yaml:9:71 steps[1].params: unknown field 'force'",
    ]);
  });

  it('checks rollback actions and their params too', () => {
    expect(errorsOf([
      ...HEAD,
      'steps:',
      '  - name: s',
      '    action: notify',
      '    params: { message: hi }',
      '    rollback: { action: notfy }',
    ])).toEqual([
      "rb.yaml:11:25 steps[0].rollback.action: step 's': unknown action 'notfy': did you mean 'notify'? (known: exec, notify, process.restart, process.scale)",
    ]);
  });

  it('rejects malformed templates and unknown variables at load time', () => {
    expect(errorsOf([
      ...HEAD,
      'steps:',
      '  - { name: a, action: notify, params: { message: "{{ incident.target" } }',
      '  - { name: b, action: notify, params: { message: "{{ incdent.target }}" } }',
      '  - { name: c, action: notify, params: { message: "{{ 1 + 1 }}" } }',
    ])).toEqual([
      'rb.yaml:8:51 steps[0].params.message: unbalanced \'{{\' or \'}}\' in "{{ incident.target"',
      "rb.yaml:9:51 steps[1].params.message: unknown template variable 'incdent.target' (variables start with incident, target, labels, params)",
      "rb.yaml:10:51 steps[2].params.message: '{{ 1 + 1 }}' is not a variable path (like incident.target or labels.service)",
    ]);
  });

  it('rejects an input pattern no template uses (a typo would leave the real value unchecked) and a bad regex', () => {
    expect(errorsOf([
      ...HEAD,
      'inputs:',
      '  labels.servce: { pattern: "[a-z]+" }',
      '  labels.service: { pattern: "[a-z" }',
      'steps:',
      '  - { name: a, action: exec, params: { argv: [x, "{{ labels.service }}"] } }',
    ])).toEqual([
      'rb.yaml:8:3 inputs["labels.servce"]: no step uses {{ labels.servce }}: a misspelt input leaves the real variable unchecked',
      expect.stringMatching(/^rb\.yaml:9:30 inputs\["labels\.service"\]\.pattern: not a valid regular expression: /),
    ]);
  });

  it('needs strategies or steps, not both, with unique names', () => {
    expect(errorsOf(HEAD)).toEqual(["rb.yaml:1:1 missing required field 'strategies' (or a top-level 'steps' list)"]);
    const step = '{ name: s, action: notify, params: { message: hi } }';
    expect(errorsOf([...HEAD, `steps: [${step}]`, `strategies: [{ name: x, steps: [${step}] }]`])).toEqual([
      "rb.yaml:7:1 steps: give either 'strategies' or a top-level 'steps' list (one strategy), not both",
    ]);
    expect(errorsOf([...HEAD, `strategies: [{ name: x, steps: [${step}, ${step}] }, { name: x, steps: [${step}] }]`])).toEqual([
      "rb.yaml:7:95 strategies[0].steps[1].name: duplicate step name 's' (first at step 0)",
      "rb.yaml:7:152 strategies[1].name: duplicate strategy name 'x' (first at strategies[0])",
    ]);
  });

  it('checks conditions in when and verify', () => {
    expect(errorsOf([
      ...HEAD,
      'steps:',
      '  - { name: s, action: notify, params: { message: hi }, when: { signal: x } }',
      'verify:',
      '  checks: [{ signal: y, fn: rate, gt: 1 }]',
      '  interval: 1m',
      '  timeout: 10s',
    ])).toEqual([
      'rb.yaml:8:63 steps[0].when: needs one comparison: gt, gte, lt, lte, eq or ne',
      'rb.yaml:11:13 verify.interval: is longer than verify.timeout: nothing would be checked',
      "rb.yaml:10:12 verify.checks[0]: fn 'rate' reads a window: add 'window' (e.g. 1m) or 'samples' (e.g. 3)",
    ]);
  });

  it('validates params with whatever schema the injected registry holds', () => {
    const strict = new Map([['http.request', { schema: z.strictObject({ url: z.url(), expect: z.number().int() }) }]]);
    const text = [...HEAD, 'steps: [{ name: s, action: http.request, params: { url: "http://{{ labels.host }}/x", expect: 2.5 } }]'].join('\n');
    expect(() => compileRunbookText(text, { file: 'rb.yaml', actions: strict })).toThrow('steps[0].params.expect: expected an integer, got 2.5');
  });
});
