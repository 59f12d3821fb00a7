import { ConfigError } from './errors.js';
import { compileConfigValue } from './load.js';
import type { CompiledRule } from './types.js';

export interface RuleIssue {
  /** The field inside the rule, like `bands[1].gt`; '' for the rule itself. */
  readonly field: string;
  readonly message: string;
}

/**
 * One rule given as data (the API's runtime rules), in the same shape as an
 * entry of medic.yaml's `rules`, compiled by the same compiler so it obeys
 * the same schema and the same checks. Targets are checked against the
 * configured ones.
 */
export function compileRuleValue(spec: unknown, targetNames: readonly string[]): { rule: CompiledRule } | { issues: RuleIssue[] } {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return { issues: [{ field: '', message: 'a rule must be an object' }] };
  try {
    const config = compileConfigValue({ targets: targetNames.map((n) => ({ name: n })), rules: [spec] }, null, { probes: new Map() });
    return { rule: config.rules[0]! };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return {
      issues: err.issues.map((i) => ({
        field: i.path.replace(/^rules\[0\]\.?/, '').replace(/^rules$/, ''),
        message: i.message,
      })),
    };
  }
}
