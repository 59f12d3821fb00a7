import type { PolicyInput } from '../core/policy.js';
import type { Incident } from '../core/records.js';
import type { Severity } from '../core/severity.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import { effectiveApproval } from '../runbooks/chains.js';
import type { CompiledRunbook } from '../runbooks/types.js';

/** What is known of one problem when a runbook is chosen for it and the policy is asked. */
export interface ProblemFacts {
  /** Null for a person's run without an incident: no rule, so no rule cooldown. */
  readonly rule: string | null;
  readonly target: string;
  readonly severity: Severity;
  /** From an alert, so untrusted: they may add labels, never change the configured target's. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The loaded runbooks, rules and targets the choice is made among. */
export interface SelectionWorld {
  readonly runbooks: readonly CompiledRunbook[];
  readonly rules: (name: string) => CompiledRule | undefined;
  readonly targets: Readonly<Record<string, TargetConfig>>;
}

/** The chosen runbook, the labels it was matched on, and the policy's input about them. */
export interface PolicyBasis {
  readonly runbook: CompiledRunbook;
  readonly labels: Readonly<Record<string, string>>;
  readonly input: Pick<PolicyInput, 'severity' | 'target' | 'runbook'>;
}

/**
 * The one builder of what the policy is fed about a problem, for the engine's
 * decisions, `POST /rules/test` and backtest alike, so the three never
 * disagree. Without `chosen`, the runbook is selected (selectRunbook's order).
 * Null when no runbook fits.
 */
export function policyBasis(world: SelectionWorld, facts: ProblemFacts, chosen: CompiledRunbook): PolicyBasis;
export function policyBasis(world: SelectionWorld, facts: ProblemFacts, chosen?: CompiledRunbook): PolicyBasis | null;
export function policyBasis(world: SelectionWorld, facts: ProblemFacts, chosen?: CompiledRunbook): PolicyBasis | null {
  const labels = targetLabels(world.targets[facts.target], facts.labels);
  const rule = facts.rule === null ? undefined : world.rules(facts.rule);
  const runbook = chosen ?? pick(world.runbooks, facts.rule, facts.target, rule, labels);
  if (!runbook) return null;
  const lookup = (name: string) => world.runbooks.find((r) => r.name === name);
  return {
    runbook,
    labels,
    input: {
      severity: facts.severity,
      target: facts.target,
      runbook: { name: runbook.name, approval: effectiveApproval(runbook, lookup), cooldownMs: rule?.cooldownMs ?? null },
    },
  };
}

/**
 * The labels a runbook's `match.labels` is judged on: the alert's, then the
 * configured target's over them (as templates see them, src/executor/vars.ts),
 * so an alert labelled like another target cannot pick that target's runbook.
 */
export function targetLabels(target: TargetConfig | undefined, alert: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...alert, ...(target?.labels ?? {}) };
}

/**
 * The runbook for an incident: the rule's named runbooks first, in order,
 * then any runbook whose `match` names the rule; either way it must match the
 * target and the target's labels.
 */
export function selectRunbook(
  runbooks: readonly CompiledRunbook[], incident: Incident, rule: CompiledRule | undefined, target: TargetConfig | undefined,
): CompiledRunbook | undefined {
  return pick(runbooks, incident.rule, incident.target, rule, targetLabels(target, incident.labels));
}

function pick(
  runbooks: readonly CompiledRunbook[], ruleName: string | null, target: string, rule: CompiledRule | undefined,
  labels: Readonly<Record<string, string>>,
): CompiledRunbook | undefined {
  const fits = (r: CompiledRunbook) => matchesTarget(r, target, labels);
  for (const name of rule?.runbooks ?? []) {
    const r = runbooks.find((x) => x.name === name);
    if (r && fits(r)) return r;
  }
  return ruleName === null ? undefined : runbooks.find((r) => r.match.rules.includes(ruleName) && fits(r));
}

export function matchesTarget(r: CompiledRunbook, target: string, labels: Readonly<Record<string, string>>): boolean {
  if (r.match.targets !== null && !r.match.targets.includes(target)) return false;
  return Object.entries(r.match.labels).every(([k, v]) => labels[k] === v);
}
