import { longestWindowMs } from '../core/condition.js';
import { decide, type PolicySettings } from '../core/policy.js';
import type { BreakerState } from '../core/breaker.js';
import { breakerKey } from '../core/breaker.js';
import type { Point, SeriesSource } from '../core/window.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import { OperationError } from '../core/operation-error.js';
import { holdingBand } from './rules-runtime.js';
import { policyBasis } from '../remediation/select.js';

export interface RuleTestResult {
  readonly rule: string;
  readonly target: string;
  readonly holds: boolean;
  readonly severity: string | null;
  readonly runbook: string | null;
  readonly needsApproval: boolean | null;
  readonly reason: string;
}

export interface RuleTestDeps {
  readonly rules: readonly CompiledRule[];
  readonly runbooks: readonly CompiledRunbook[];
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly policy: PolicySettings;
  readonly breaker: (key: string) => BreakerState | undefined;
  readonly now: number;
}

/** Samples per series in the made-up window: enough for count windows and fits over a constant. */
const POINTS = 120;

/**
 * "What would happen if the metrics read these values?": every rule that
 * applies to a given target is judged as if each value had been constant over
 * the rule's whole window (so averages, maxima and percentiles equal it, and
 * rates and slopes are 0), ignoring `for`. For a rule that holds, the runbook
 * the engine would choose and the policy's verdict, with no rate-limit
 * history and nothing running. Nothing is recorded or changed.
 */
export function testRules(values: unknown, deps: RuleTestDeps): RuleTestResult[] {
  const input = checkValues(values, deps.targets);
  const out: RuleTestResult[] = [];
  const world = { runbooks: deps.runbooks, rules: (n: string) => deps.rules.find((r) => r.name === n), targets: deps.targets };
  for (const [target, signals] of Object.entries(input)) {
    for (const rule of deps.rules) {
      if (rule.targets !== null && !rule.targets.includes(target)) continue;
      const spanMs = Math.max(1, ...rule.bands.map((b) => longestWindowMs(b.condition)));
      const held = holdingBand(rule, target, constantSource(target, signals, deps.now, spanMs), deps.now);
      if (held.severity === null) {
        out.push({ rule: rule.name, target, holds: false, severity: null, runbook: null, needsApproval: null, reason: held.explain });
        continue;
      }
      const basis = policyBasis(world, { rule: rule.name, target, severity: held.severity });
      if (!basis) {
        out.push({ rule: rule.name, target, holds: true, severity: held.severity, runbook: null, needsApproval: null, reason: `${held.explain}; no runbook fixes ${rule.name} on ${target}: a person would be asked to act` });
        continue;
      }
      const runbook = basis.runbook;
      const input = {
        ...basis.input, now: deps.now, trigger: 'auto' as const, dryRun: false, silencedBy: null,
        breaker: deps.breaker(breakerKey(runbook.name, target)) ?? null, hits: [], heldOnTarget: [], runningOnTarget: [], runningTotal: 0,
      };
      const verdict = decide(deps.policy, input);
      // Whether a person must approve does not depend on the mode or the kill switch; the reason says what holds now.
      const asked = decide({ ...deps.policy, mode: 'active', autoRemediation: true }, { ...input, breaker: null });
      out.push({
        rule: rule.name, target, holds: true, severity: held.severity, runbook: runbook.name,
        needsApproval: asked.kind === 'approval', reason: `${held.explain}; ${verdict.reason}`,
      });
    }
  }
  return out;
}

function checkValues(values: unknown, targets: Readonly<Record<string, TargetConfig>>): Record<string, Record<string, number>> {
  const bad = (field: string, message: string): never => {
    throw new OperationError('bad_request', `${field}: ${message}`, { field });
  };
  if (typeof values !== 'object' || values === null || Array.isArray(values)) bad('signals', 'must be an object {target: {signal: number}}');
  for (const [target, signals] of Object.entries(values as Record<string, unknown>)) {
    if (!Object.hasOwn(targets, target)) bad(`signals.${target}`, `unknown target (targets: ${Object.keys(targets).join(', ') || 'none'})`);
    if (typeof signals !== 'object' || signals === null || Array.isArray(signals)) bad(`signals.${target}`, 'must be an object {signal: number}');
    for (const [name, v] of Object.entries(signals as Record<string, unknown>)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(`signals.${target}.${name}`, 'must be a finite number');
    }
  }
  return values as Record<string, Record<string, number>>;
}

function constantSource(target: string, signals: Record<string, number>, now: number, spanMs: number): SeriesSource {
  const step = spanMs / (POINTS - 1);
  return {
    points(t, name): readonly Point[] {
      const value = t === target && Object.hasOwn(signals, name) ? signals[name] : undefined;
      if (value === undefined) return [];
      return Array.from({ length: POINTS }, (_, i) => ({ at: Math.round(now - spanMs + i * step), value }));
    },
  };
}
