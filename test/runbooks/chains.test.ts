import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/config/validate.js';
import { loadRunbooks } from '../../src/runbooks/load.js';
import { registries as real } from '../../src/cli/runtime.js';
import { actions } from '../fixtures/registries.js';

const runbook = (name: string, steps: string) => `name: ${name}
description: ${name}
match: { rules: [] }
risk: low
impact: x
rollback_plan: x
steps:
${steps}`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'medic-chains-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('chains between runbooks', () => {
  it('rejects a cycle at load, as a path with the file and line of the step that starts it', () => {
    const dir = folder({
      'a.yaml': runbook('a', '  - { name: to-b, runbook: b }\n'),
      'b.yaml': runbook('b', '  - { name: to-c, runbook: c }\n'),
      'c.yaml': runbook('c', '  - { name: back, runbook: a }\n'),
      'd.yaml': runbook('d', '  - { name: fine, action: notify, params: { message: hi } }\n'),
    });
    const { runbooks, errors } = loadRunbooks([dir], { actions });
    expect(errors!.lines()).toEqual([`${dir}/a.yaml:8:5 steps[0]: runbook cycle: a -> b -> c -> a`]);
    expect(runbooks.map((r) => r.name)).toEqual(['d']);
  });

  it('rejects a runbook step naming a runbook that is not loaded, and the runbooks that call it', () => {
    const dir = folder({
      'a.yaml': runbook('a', '  - { name: to-b, runbook: b }\n'),
      'b.yaml': runbook('b', '  - { name: to-x, runbook: nope }\n'),
    });
    const { runbooks, errors } = loadRunbooks([dir], { actions });
    expect(errors!.lines()).toEqual([expect.stringMatching(new RegExp(`^${dir}/b\\.yaml:8:28 steps\\[0\\]\\.runbook: unknown runbook 'nope'`))]);
    expect(runbooks).toEqual([]);
  });

  it('rejects when on a step that is not earlier in the runbook, and action-only fields on a runbook step', () => {
    const dir = folder({
      'a.yaml': runbook('a', [
        '  - { name: one, runbook: b, retries: 2 }',
        '  - { name: two, action: notify, params: { message: hi }, when: { step: three, is: failed } }',
        '  - { name: three, action: notify, params: { message: hi } }',
      ].join('\n')),
      'b.yaml': runbook('b', '  - { name: x, action: notify, params: { message: hi } }\n'),
    });
    const { errors } = loadRunbooks([dir], { actions });
    expect(errors!.lines()).toEqual([
      `${dir}/a.yaml:8:30 steps[0].retries: a runbook step has no 'retries': the called runbook's steps have their own`,
      `${dir}/a.yaml:9:73 steps[1].when.step: no earlier step named 'three' (earlier steps: one)`,
    ]);
  });

  it('medic validate accepts the three example chains', () => {
    const { ok, report } = validatePaths(['examples/chains'], real());
    expect(report.filter((l) => !l.startsWith('ok '))).toEqual([]);
    expect(ok).toBe(true);
    expect(report.join('\n')).toMatch(/full-recovery[\s\S]*/);
    for (const name of ['full-recovery', 'predictive-preemption', 'database-health']) expect(report.join('\n')).toContain(`runbook '${name}'`);
  });
});
