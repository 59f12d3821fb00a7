import { errorMessage } from '../core/errors.js';
import { REPLICA_LABEL } from '../core/fingerprint.js';
import type { Execution, Incident } from '../core/records.js';
import { redactSecrets } from '../core/redact.js';
import type { TargetConfig } from '../config/types.js';
import { templateVars } from '../executor/vars.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import { renderParams } from '../runbooks/template.js';

/**
 * The plan a person reads before approving, and the record of what was
 * intended: producing it changes nothing. Params are rendered for display;
 * the executor renders them again when each step runs.
 */
export function buildPlan(
  runbook: CompiledRunbook, target: string, targetConfig: TargetConfig | undefined, incident: Incident | null,
  params: Readonly<Record<string, unknown>>, reason: string, baseline: Record<string, number>,
): Record<string, unknown> {
  const vars = templateVars(target, targetConfig, incident, params);
  return {
    runbook: runbook.name,
    description: runbook.description,
    target,
    // The replica of the group the fix is for: the blast radius counts it (core/limits.ts).
    replica: incident?.labels[REPLICA_LABEL] ?? null,
    risk: runbook.risk,
    impact: runbook.impact,
    rollbackPlan: runbook.rollbackPlan,
    approval: runbook.approval,
    reason,
    strategies: runbook.strategies.map((s) => ({
      name: s.name,
      steps: s.steps.map((st) => (st.kind === 'runbook'
        ? { name: st.name, runbook: st.runbook, params: preview(st.params, vars, runbook), timeoutMs: st.timeoutMs, onFailure: st.onFailure }
        : {
          name: st.name,
          action: st.action,
          params: preview(st.params, vars, runbook),
          timeoutMs: st.timeoutMs,
          retries: st.retries,
          onFailure: st.onFailure,
          rollback: st.rollback?.action ?? null,
        })),
    })),
    chain: runbook.chain,
    verify: { ruleCleared: runbook.verify.ruleCleared, checks: runbook.verify.checks.length, timeoutMs: runbook.verify.timeoutMs },
    watchMs: runbook.watch.durationMs,
    settleMs: runbook.settleMs,
    baseline,
  };
}

function preview(params: Readonly<Record<string, unknown>>, vars: Record<string, unknown>, runbook: CompiledRunbook): unknown {
  try {
    return redactSecrets(renderParams(params, vars, runbook.inputs));
  } catch (err) {
    return { error: `cannot render: ${errorMessage(err)}`, template: redactSecrets(params) };
  }
}

/** The replica an execution's plan was for (see buildPlan), or null. */
export function replicaOf(execution: Pick<Execution, 'plan'>): string | null {
  const replica = execution.plan['replica'];
  return typeof replica === 'string' ? replica : null;
}
