import type { Incident } from '../core/records.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';

/**
 * The runbook for an incident: the rule's named runbooks first, in order,
 * then any runbook whose `match` names the rule; either way it must match the
 * target and the target's labels.
 */
export function selectRunbook(
  runbooks: readonly CompiledRunbook[], incident: Incident, rule: CompiledRule | undefined, target: TargetConfig | undefined,
): CompiledRunbook | undefined {
  const fits = (r: CompiledRunbook) => matchesTarget(r, incident.target, { ...(target?.labels ?? {}), ...incident.labels });
  for (const name of rule?.runbooks ?? []) {
    const r = runbooks.find((x) => x.name === name);
    if (r && fits(r)) return r;
  }
  return runbooks.find((r) => r.match.rules.includes(incident.rule) && fits(r));
}

export function matchesTarget(r: CompiledRunbook, target: string, labels: Readonly<Record<string, string>>): boolean {
  if (r.match.targets !== null && !r.match.targets.includes(target)) return false;
  return Object.entries(r.match.labels).every(([k, v]) => labels[k] === v);
}
