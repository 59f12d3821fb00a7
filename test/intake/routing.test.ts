import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { compileConfig } from '../../src/config/load.js';
import type { Incident } from '../../src/core/records.js';
import { templateVars } from '../../src/executor/vars.js';
import { matches, parseMatcher } from '../../src/core/matchers.js';
import { routeAlert as route, severityFromLabel } from '../../src/intake/router.js';
import { builtinProbes } from '../../src/probes/index.js';

const compile = (yaml: string) => compileConfig(yaml, 'medic.yaml', { probes: builtinProbes() });

describe('label matchers, as Alertmanager reads them', () => {
  it('parses the four operators, quoted or not', () => {
    expect(parseMatcher('alertname="Disk Full"')).toMatchObject({ label: 'alertname', op: '=', value: 'Disk Full' });
    expect(parseMatcher('env != prod')).toMatchObject({ label: 'env', op: '!=', value: 'prod' });
    expect(parseMatcher('job=~"web|api"')).toMatchObject({ label: 'job', op: '=~' });
    expect(parseMatcher('team!~"ops.*"')).toMatchObject({ label: 'team', op: '!~' });
  });

  it('anchors regular expressions at both ends, and reads a missing label as ""', () => {
    expect(matches(parseMatcher('env=~"prod"'), { env: 'preprod' })).toBe(false);
    expect(matches(parseMatcher('env=~"prod|staging"'), { env: 'staging' })).toBe(true);
    expect(matches(parseMatcher('team!="ops"'), {})).toBe(true);
    expect(matches(parseMatcher('team=""'), {})).toBe(true);
    expect(matches(parseMatcher('team!~".+"'), {})).toBe(true);
  });

  it('refuses what is not a matcher, saying why', () => {
    expect(() => parseMatcher('alertname')).toThrow(/not a matcher/);
    expect(() => parseMatcher('job=~"web("')).toThrow(/invalid regular expression "web\(" for job/);
    expect(() => parseMatcher('job="web')).toThrow(/unbalanced quotes/);
  });
});

describe('intake routes in medic.yaml', () => {
  const config = compile(`
targets:
  - name: checkout
  - name: db-primary
intake:
  routes:
    - matchers: ['alertname="HighErrorRate"', 'job=~"web|api"']
      rule: web-errors
      target_label: service
    - matchers: ['alertname="DiskFull"']
      rule: disk-full
      target: db-primary
      severity: P1
      runbook: clean-disk
`);

  const isTarget = (n: string) => Object.hasOwn(config.targets, n);
  const routeAlert = (routes: typeof config.intake.routes, labels: Record<string, string>) => route(routes, labels, isTarget);

  it('routes by the first matching route; target from a label or fixed; severity from the route or the label', () => {
    expect(routeAlert(config.intake.routes, { alertname: 'HighErrorRate', job: 'api', service: 'checkout', severity: 'critical' }))
      .toMatchObject({ routed: true, rule: 'web-errors', target: 'checkout', severity: 'P1' });
    expect(routeAlert(config.intake.routes, { alertname: 'DiskFull', severity: 'info' })).toMatchObject({ routed: true, rule: 'disk-full', target: 'db-primary', severity: 'P1' });
    expect(routeAlert(config.intake.routes, { alertname: 'HighErrorRate', job: 'db' })).toEqual({ routed: false, reason: 'no route matches its labels' });
    expect(routeAlert(config.intake.routes, { alertname: 'HighErrorRate', job: 'web' }))
      .toEqual({ routed: false, reason: "route 0 (web-errors) matched, but the alert has no 'service' label to name the target" });
    expect(severityFromLabel('warning')).toBe('P2');
    expect(severityFromLabel('p0')).toBe('P0');
    expect(severityFromLabel(undefined)).toBe('P2');
  });

  it('leaves an alert unrouted when its label names a target that is not configured: the sender does not choose what gets fixed', () => {
    for (const name of ['payments', 'checkout-2', '../etc', 'toString', '__proto__']) {
      expect(routeAlert(config.intake.routes, { alertname: 'HighErrorRate', job: 'api', service: name }))
        .toEqual({ routed: false, reason: `route 0 (web-errors) matched, but its 'service' label names '${name}', which is not a configured target` });
    }
  });

  it('makes one alert rule per route rule, naming its runbooks', () => {
    const rules = config.rules.filter((r) => r.origin === 'alert');
    expect(rules.map((r) => [r.name, r.runbooks])).toEqual([['web-errors', []], ['disk-full', ['clean-disk']]]);
  });

  it('reports a bad matcher, a clash with a rule and a double target with file, line and field', () => {
    let err: ConfigError | undefined;
    try {
      compile([
        'rules:',
        '  - { name: cpu, severity: P2, condition: { signal: cpu, gt: 90 } }',
        'intake:',
        '  alertmanager: { secret: short }',
        '  routes:',
        '    - matchers: [\'job=~"web("\']',
        '      rule: cpu',
        '      target: a',
        '      target_label: instance',
      ].join('\n'));
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.lines()).toEqual([
      'medic.yaml:4:27 intake.alertmanager.secret: must be at least 16 characters',
    ]);
    try {
      compile([
        'rules:',
        '  - { name: cpu, severity: P2, condition: { signal: cpu, gt: 90 } }',
        'intake:',
        '  routes:',
        '    - matchers: [\'job=~"web("\']',
        '      rule: cpu',
        '      target: a',
        '      target_label: instance',
      ].join('\n'));
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.lines()).toEqual([
      'medic.yaml:5:18 intake.routes[0].matchers[0]: invalid regular expression "web(" for job: Invalid regular expression: /^(?:web()$/u: Unterminated group',
      "medic.yaml:5:7 intake.routes[0]: give either 'target' or 'target_label', not both",
      "medic.yaml:6:13 intake.routes[0].rule: 'cpu' is already a rule under rules: an alert route names a rule of its own",
    ]);
  });
});

describe('template variables of an incident from an alert', () => {
  it('keep the configured target\'s labels: the alert adds labels, it cannot change them', () => {
    const target = { name: 'web', labels: { service: 'web', env: 'prod' }, process: null };
    const incident = {
      id: 'inc_1', fingerprint: 'f', rule: 'web-errors', target: 'web', severity: 'P2', status: 'open', title: 't',
      labels: { service: 'postgres', env: 'staging', job: 'api' }, value: 1, source: 'alert', openedAt: 0, updatedAt: 0, resolvedAt: null, silenced: false,
    } as unknown as Incident;
    const vars = templateVars('web', target, incident, {});
    expect(vars['labels']).toEqual({ service: 'web', env: 'prod', job: 'api' });
    expect(vars['target']).toMatchObject({ name: 'web', labels: { service: 'web', env: 'prod' } });
  });
});
