import type { Condition } from './condition.js';
import { evaluate } from './evaluate.js';
import type { Severity } from './severity.js';
import type { SeriesSource } from './window.js';

/**
 * The life of one rule on one target (or on one replica of a target's group):
 *
 *   ok ──band holds──► pending ──held for `for`──► firing ──no band holds──► ok
 *    ▲                    │                          │
 *    └──no band holds─────┘                          └─ severity may change while firing
 *
 * A settle reset (after an action) sends the rule back to ok and makes it
 * ignore samples taken before the reset, so a restart is never judged by the
 * failures that caused it.
 */
export interface RuleSpec {
  readonly name: string;
  readonly bands: readonly { readonly severity: Severity; readonly condition: Condition }[];
  readonly forMs: number;
}

export interface RuleState {
  readonly phase: 'ok' | 'pending' | 'firing';
  readonly since: number | null;
  readonly severity: Severity | null;
  readonly value: number | null;
  readonly explain: string;
  /** Samples before this are not looked at. */
  readonly resetAt: number;
}

export const INITIAL_RULE_STATE: RuleState = { phase: 'ok', since: null, severity: null, value: null, explain: '', resetAt: 0 };

export type RuleEvent =
  | { readonly kind: 'fired'; readonly severity: Severity; readonly value: number | null; readonly explain: string }
  | { readonly kind: 'escalated'; readonly severity: Severity; readonly value: number | null; readonly explain: string }
  | { readonly kind: 'cleared'; readonly explain: string };

export interface Step {
  readonly state: RuleState;
  readonly event: RuleEvent | null;
}

/** `replica`: judge that replica of the target's group (see WindowScope.replica) rather than the whole group. */
export function stepRule(rule: RuleSpec, target: string, prev: RuleState, source: SeriesSource, now: number, replica?: string): Step {
  const scope = { target, now, since: prev.resetAt, ...(replica === undefined ? {} : { replica }) };
  let match: { severity: Severity; value: number | null; explain: string } | null = null;
  let lastExplain = '';
  let known = true;
  for (const band of rule.bands) {
    const ev = evaluate(band.condition, source, scope);
    lastExplain = ev.explain;
    known &&= ev.known;
    if (ev.holds) {
      match = { severity: band.severity, value: ev.value, explain: ev.explain };
      break;
    }
  }

  // No data is not good news: a firing rule stays firing until samples show it cleared.
  if (!match && !known && prev.phase === 'firing') return { state: prev, event: null };

  if (!match) {
    const state: RuleState = { ...INITIAL_RULE_STATE, resetAt: prev.resetAt, explain: lastExplain };
    return { state, event: prev.phase === 'firing' ? { kind: 'cleared', explain: lastExplain } : null };
  }

  if (prev.phase === 'firing') {
    const state: RuleState = { ...prev, severity: match.severity, value: match.value, explain: match.explain };
    const worse = prev.severity !== null && rank(match.severity) < rank(prev.severity);
    return { state, event: worse ? { kind: 'escalated', ...match } : null };
  }

  // A clock that went backwards must not make a pending rule fire early or twice.
  const since = prev.phase === 'pending' && prev.since !== null && prev.since <= now ? prev.since : now;
  if (now - since >= rule.forMs) {
    return { state: { phase: 'firing', since, ...match, resetAt: prev.resetAt }, event: { kind: 'fired', ...match } };
  }
  return { state: { phase: 'pending', since, ...match, resetAt: prev.resetAt }, event: null };
}

/** After an action on the target: forget what was pending or firing, and every sample before `at`. */
export function resetRule(prev: RuleState, at: number): RuleState {
  return { ...INITIAL_RULE_STATE, resetAt: Math.max(prev.resetAt, at) };
}

function rank(s: Severity): number {
  return Number(s.slice(1));
}
