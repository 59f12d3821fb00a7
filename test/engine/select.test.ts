import { describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/actions/index.js';
import { compileConfig } from '../../src/config/load.js';
import type { Incident } from '../../src/core/records.js';
import { policyBasis, selectRunbook } from '../../src/remediation/select.js';
import { builtinProbes } from '../../src/probes/index.js';
import { compileRunbookText } from '../../src/runbooks/compile.js';

const config = compileConfig(`
targets:
  - name: web
    labels: { tier: web }
  - name: db
    labels: { tier: db }
rules:
  - name: errors
    value: { signal: errors, fn: last }
    bands:
      - { severity: P2, gt: 1 }
    cooldown: 30s
`, '/virtual/medic.yaml', { probes: builtinProbes() });

const runbook = (name: string, match: string, approval = 'auto') => compileRunbookText(`
name: ${name}
description: ${name}
match: ${match}
risk: low
impact: test
rollback_plan: none
approval: ${approval}
steps:
  - { name: fix, action: exec, params: { argv: ["true"] } }
`, { file: `/virtual/${name}.yaml`, actions: builtinActions, settleMs: 0 });

// The database's runbook comes first, so the old "alert labels win" merge picked it for web.
const runbooks = [
  runbook('fix-db', '{ rules: [errors], labels: { tier: db } }', 'required'),
  runbook('fix-web', '{ rules: [errors], labels: { tier: web } }'),
  runbook('fix-api', '{ rules: [errors], labels: { tier: web, service: api } }'),
];
const world = { runbooks, rules: (n: string) => config.rules.find((r) => r.name === n), targets: config.targets };

const alertIncident = (labels: Record<string, string>): Incident => ({
  id: 'inc-1', fingerprint: 'f', rule: 'errors', target: 'web', severity: 'P2', status: 'open', title: 'errors', labels,
  value: 5, source: 'alert', openedAt: 0, updatedAt: 0, resolvedAt: null, silenced: false,
});

describe('choosing a runbook: the configured target decides, not the alert', () => {
  it('an alert on web labelled tier=db cannot pick the database runbook', () => {
    const incident = alertIncident({ tier: 'db' });
    expect(selectRunbook(runbooks, incident, world.rules('errors'), config.targets['web'])?.name).toBe('fix-web');
    const basis = policyBasis(world, { rule: 'errors', target: 'web', severity: 'P2', labels: { tier: 'db' } });
    expect(basis?.runbook.name).toBe('fix-web');
    expect(basis?.labels).toEqual({ tier: 'web' });
    expect(basis?.input).toEqual({ severity: 'P2', target: 'web', runbook: { name: 'fix-web', approval: 'auto', cooldownMs: 30_000 } });
  });

  it('an alert may add a label the target does not set', () => {
    const basis = policyBasis(world, { rule: 'errors', target: 'web', severity: 'P2', labels: { service: 'api', tier: 'db' } });
    expect(basis?.labels).toEqual({ tier: 'web', service: 'api' });
    // fix-web comes before fix-api and fits too: the order of the loaded runbooks decides among the fitting ones.
    expect(basis?.runbook.name).toBe('fix-web');
  });

  it('the same problem on db picks the database runbook, with its approval', () => {
    const basis = policyBasis(world, { rule: 'errors', target: 'db', severity: 'P2' });
    expect(basis?.input.runbook).toEqual({ name: 'fix-db', approval: 'required', cooldownMs: 30_000 });
  });

  it('a person naming a runbook without an incident gets no rule cooldown', () => {
    const basis = policyBasis(world, { rule: null, target: 'web', severity: 'P3' }, runbooks[1]);
    expect(basis?.input.runbook).toEqual({ name: 'fix-web', approval: 'auto', cooldownMs: null });
  });
});
