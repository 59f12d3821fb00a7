import type { BreakerState } from '../core/breaker.js';
import type { RuleState } from '../core/detector.js';
import type { Severity } from '../core/severity.js';

/** A problem holding now: a rule firing on a target. */
export interface ProblemView {
  readonly rule: string;
  readonly target: string;
  /** `{replica: "2"}` when the rule holds on one replica of the target's group. */
  readonly labels: Readonly<Record<string, string>>;
  readonly severity: Severity;
  /** When the rule started holding (before `for` elapsed). */
  readonly since: number;
  readonly value: number | null;
  readonly explain: string;
}

export type BreakerView = BreakerState & { readonly runbook: string; readonly target: string };

/** Most severe first, then the oldest. */
export function problemViews(
  firing: readonly { rule: string; target: string; labels?: Readonly<Record<string, string>>; state: RuleState }[],
): ProblemView[] {
  return firing
    .map(({ rule, target, labels = {}, state }) => ({
      rule, target, labels, severity: state.severity!, since: state.since!, value: state.value, explain: state.explain,
    }))
    .sort((a, b) => a.severity.localeCompare(b.severity) || a.since - b.since);
}

/** A breaker with its key (`runbook@target`, core/breaker.ts) split at the first '@'. */
export function breakerView(b: BreakerState): BreakerView {
  const at = b.key.indexOf('@');
  return { ...b, ...(at < 0 ? { runbook: b.key, target: '' } : { runbook: b.key.slice(0, at), target: b.key.slice(at + 1) }) };
}
