import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbooks } from '../../src/runbooks/load.js';
import { actions } from '../fixtures/registries.js';

const FIX = 'test/fixtures/runbooks';

describe('loadRunbooks', () => {
  it('loads every *.yaml of the demo folder, in name order', () => {
    const { runbooks, errors } = loadRunbooks(['examples/demo/runbooks'], { actions, settleMs: 100 });
    expect(errors).toBeNull();
    expect(runbooks.map((r) => r.name)).toEqual(['fix-demo-errors', 'restart-demo-leak', 'restart-demo-slow', 'restart-demo']);
    expect(runbooks.every((r) => Object.isFrozen(r))).toBe(true);
  });

  it('gives runbooks without a settle time the one passed in (the config\'s)', () => {
    const { runbooks } = loadRunbooks(['test/fixtures/runbooks/good'], { actions, settleMs: 100 });
    expect(runbooks.map((r) => [r.name, r.settleMs])).toEqual([['restart-web', 50], ['run-script', 100]]);
  });

  it('mixes folders and files and loads a file named twice once', () => {
    const { runbooks, errors } = loadRunbooks(
      [`${FIX}/good`, `${FIX}/good/run-script.yml`, 'examples/demo/runbooks/restart-demo.yaml'],
      { actions },
    );
    expect(errors).toBeNull();
    expect(runbooks.map((r) => r.name)).toEqual(['restart-web', 'run-script', 'restart-demo']);
  });

  it('collects the errors of every file and keeps the runbooks that compiled', () => {
    const { runbooks, errors } = loadRunbooks([`${FIX}/bad`, `${FIX}/good`, `${FIX}/missing`], { actions });
    expect(runbooks.map((r) => r.name)).toEqual(['restart-web', 'run-script']);
    expect(errors!.lines()).toEqual([
      `${FIX}/missing cannot read: no such file or folder`,
      expect.stringMatching(/^test\/fixtures\/runbooks\/bad\/broken\.yaml:[1-9]\d*:\d+ YAML: /),
      `${FIX}/bad/missing-risk.yaml:1:1 missing required field 'risk'`,
      expect.stringContaining(`${FIX}/bad/unknown-action.yaml:12:17 strategies[0].steps[0].action: step 'restart the process': unknown action 'proces.restart'`),
    ]);
  });

  it('reports a duplicate runbook name at the second file, naming the first', () => {
    const { runbooks, errors } = loadRunbooks([`${FIX}/dupes`], { actions });
    expect(runbooks.map((r) => r.file)).toEqual([resolve(`${FIX}/dupes/a.yaml`)]);
    expect(errors!.lines()).toEqual([
      `${FIX}/dupes/b.yml:2:7 name: duplicate runbook name 'same-name': also defined in ${resolve(`${FIX}/dupes/a.yaml`)}`,
    ]);
  });
});
