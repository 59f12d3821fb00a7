import type { Condition } from '../core/condition.js';
import { SEVERITIES } from '../core/severity.js';
import { parseMatcher, type LabelMatcher } from '../core/matchers.js';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import type { IssueList } from './issues.js';
import type { IntakeSpec, RuleSpec } from './schema.js';
import type { AlertRoute, CompiledRule, IntakeConfig } from './types.js';

/** The signal an alert route's rule reads: 0 when none of its alerts fire, else 4 (P0) .. 1 (P3). */
export function alertSignal(rule: string): string {
  return `alert:${rule}`;
}

export function compileIntake(spec: IntakeSpec | undefined, rules: readonly RuleSpec[], issues: IssueList): { intake: IntakeConfig; rules: CompiledRule[] } {
  const ruleNames = new Set(rules.map((r) => r.name));
  const routes: AlertRoute[] = (spec?.routes ?? []).map((r, i) => {
    const path = ['intake', 'routes', i];
    const matchers: LabelMatcher[] = [];
    r.matchers.forEach((text, j) => {
      try {
        matchers.push(parseMatcher(text));
      } catch (err) {
        issues.add([...path, 'matchers', j], (err as Error).message);
      }
    });
    if (r.target !== undefined && r.target_label !== undefined) issues.add(path, "give either 'target' or 'target_label', not both");
    if (ruleNames.has(r.rule)) {
      issues.add([...path, 'rule'], `'${r.rule}' is already a rule under rules: an alert route names a rule of its own`);
    }
    return {
      index: i,
      matchers,
      rule: r.rule,
      target: r.target !== undefined ? { kind: 'fixed', name: r.target } : { kind: 'label', label: r.target_label ?? D.intake.targetLabel },
      severity: r.severity ?? null,
      runbook: r.runbook ?? null,
    };
  });
  return {
    intake: {
      alertmanager: { secret: spec?.alertmanager?.secret ?? null },
      webhook: { secret: spec?.webhook?.secret ?? null },
      routes,
    },
    rules: alertRules(routes),
  };
}

/**
 * One rule per route rule name, holding while an alert routed to it fires;
 * its severity band follows the most severe firing alert. The detector,
 * incidents, verify ("the rule no longer holds") and clearing then work for
 * pushed alerts exactly as for probed signals.
 */
function alertRules(routes: readonly AlertRoute[]): CompiledRule[] {
  const byRule = new Map<string, string[]>();
  for (const r of routes) {
    const list = byRule.get(r.rule) ?? [];
    if (r.runbook !== null && !list.includes(r.runbook)) list.push(r.runbook);
    byRule.set(r.rule, list);
  }
  return [...byRule].map(([name, runbooks]) => ({
    name,
    description: `alert ${name}`,
    targets: null,
    bands: SEVERITIES.map((severity, i) => ({ severity, condition: firingAtLeast(name, SEVERITIES.length - i) })),
    forMs: 0,
    cooldownMs: null,
    priority: 0,
    runbooks,
    labels: {},
    origin: 'alert' as const,
  }));
}

function firingAtLeast(rule: string, level: number): Condition {
  return { kind: 'compare', value: { signal: alertSignal(rule), fn: 'last' }, op: 'gte', threshold: level };
}
