import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/config/validate.js';
import { registries } from '../fixtures/registries.js';

describe('validatePaths (medic validate)', () => {
  it('passes the demo config together with the runbooks it names', () => {
    const r = validatePaths(['examples/demo/medic.yaml'], registries);
    expect(r.report[0]).toMatch(/^ok examples\/demo\/medic\.yaml: \d+ targets?, \d+ probes?, \d+ rules?$/);
    expect(r.report.slice(1)).toEqual([
      "ok examples/demo/runbooks/fix-demo-errors.yaml: runbook 'fix-demo-errors' (2 strategies)",
      "ok examples/demo/runbooks/restart-demo-leak.yaml: runbook 'restart-demo-leak' (1 strategy)",
      "ok examples/demo/runbooks/restart-demo-slow.yaml: runbook 'restart-demo-slow' (1 strategy)",
      "ok examples/demo/runbooks/restart-demo.yaml: runbook 'restart-demo' (1 strategy)",
    ]);
    expect(r.ok).toBe(true);
  });

  it('tells runbooks from configs by their top-level strategies or steps', () => {
    const r = validatePaths(['examples/demo/runbooks/restart-demo.yaml', 'test/fixtures/runbooks/good/run-script.yml'], registries);
    expect(r).toEqual({
      ok: true,
      report: [
        "ok examples/demo/runbooks/restart-demo.yaml: runbook 'restart-demo' (1 strategy)",
        "ok test/fixtures/runbooks/good/run-script.yml: runbook 'run-script' (1 strategy)",
      ],
    });
  });

  it('reports every problem of every file, one line each', () => {
    const r = validatePaths(['test/fixtures/config/bad-bands.yaml', 'test/fixtures/runbooks/bad'], registries);
    expect(r.ok).toBe(false);
    expect(r.report).toEqual([
      'test/fixtures/config/bad-bands.yaml:8:9 rules[0].bands[1]: bands must go from most to least severe: P1 comes after P2 (bands[0])',
      expect.stringMatching(/^test\/fixtures\/runbooks\/bad\/broken\.yaml:\d+:\d+ YAML: /),
      "test/fixtures/runbooks/bad/missing-risk.yaml:1:1 missing required field 'risk'",
      "test/fixtures/runbooks/bad/unknown-action.yaml:12:17 strategies[0].steps[0].action: step 'restart the process': unknown action 'proces.restart': did you mean 'process.restart'? (known: exec, notify, process.restart, process.scale)",
    ]);
  });

  it('cross-checks rules and runbooks: a missing runbook is an error, an unknown rule a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'medic-validate-'));
    writeFileSync(join(dir, 'medic.yaml'), [
      'targets: [{ name: web }]',
      'rules:',
      '  - { name: hot, severity: P2, condition: { signal: cpu, gt: 90 }, runbooks: [cool-down] }',
      'runbooks: { paths: [./runbooks.yaml] }',
    ].join('\n'));
    writeFileSync(join(dir, 'runbooks.yaml'), [
      'name: restart-web',
      'description: d',
      'match: { rules: [hot, from-alertmanager] }',
      'risk: low',
      'impact: i',
      'rollback_plan: r',
      'steps: [{ name: s, action: notify, params: { message: hi } }]',
    ].join('\n'));
    const r = validatePaths([join(dir, 'medic.yaml')], registries);
    rmSync(dir, { recursive: true, force: true });
    expect(r.ok).toBe(false);
    expect(r.report).toContain(`${join(dir, 'medic.yaml')}:3:79 rules[0].runbooks[0]: unknown runbook 'cool-down' (loaded: restart-web)`);
    expect(r.report).toContain(`warning: ${join(dir, 'runbooks.yaml')}:3:23 match.rules[1]: rule 'from-alertmanager' is not defined in ${join(dir, 'medic.yaml')} (fine if it comes from an alert route)`);
  });

  it('reports a path that does not exist', () => {
    expect(validatePaths(['nope.yaml'], registries)).toEqual({ ok: false, report: ['nope.yaml cannot read: no such file'] });
  });
});
