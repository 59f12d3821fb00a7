import { signalsOf } from '../core/condition.js';
import { INITIAL_RULE_STATE, resetRule, stepRule, type RuleState } from '../core/detector.js';
import { evaluate, type Evaluation } from '../core/evaluate.js';
import { REPLICA_LABEL, replicaLabels } from '../core/fingerprint.js';
import type { Severity } from '../core/severity.js';
import type { SeriesSource } from '../core/window.js';
import type { CompiledRule } from '../config/types.js';

export interface Problem {
  readonly rule: CompiledRule;
  readonly target: string;
  readonly severity: Severity;
  readonly value: number | null;
  readonly explain: string;
  /** Identifying labels: `{replica: "2"}` when the rule was judged on one replica of a group; none when absent. */
  readonly labels?: Readonly<Record<string, string>>;
}

type Labels = Readonly<Record<string, string>>;

export interface DetectorSink {
  fired(p: Problem): void;
  escalated(p: Problem): void;
  /** The rule no longer holds for a target it had fired for. */
  cleared(rule: CompiledRule, target: string, explain: string, labels: Labels): void;
  /** It fired while the cause `cause` has an incident open on the target: a symptom of it, not a new incident. */
  inhibited?(p: Problem, cause: string): void;
  /** It fired while Medic's own change was working on the target (a step, then its settle): not judged yet. */
  suppressed?(p: Problem): void;
}

/** Medic's hands on a target: mutating steps running there, and the end of the last one's settle time. */
interface Quiet {
  running: number;
  until: number;
  /** Rules held back in this window, each told once. */
  readonly held: Set<string>;
}

/**
 * Applies the rules to the signal windows, per target. Evaluation is driven by
 * new samples (a process exit is judged the moment it is seen, not on the
 * next tick) and by a tick, so that `for` durations end even when a target
 * goes quiet. A rule reading a signal that a target reports per replica is
 * judged once per replica (each with its own state and problem), not for the
 * group as a whole.
 */
export class Detector {
  private readonly states = new Map<string, RuleState>();
  /** rule|target|replica scopes that have an active incident, so they can be cleared after a settle reset. */
  private readonly active = new Set<string>();
  private readonly bySignal = new Map<string, CompiledRule[]>();
  private readonly signalsByRule = new Map<CompiledRule, string[]>();
  private readonly quiet = new Map<string, Quiet>();
  /** rule|target|replica scopes firing as a symptom, by the cause whose incident they were attached to. */
  private readonly symptoms = new Map<string, { readonly cause: string; readonly target: string }>();

  constructor(
    private rules: readonly CompiledRule[],
    private readonly targets: readonly string[],
    private readonly source: SeriesSource,
    private readonly sink: DetectorSink,
  ) {
    this.index();
  }

  setRules(rules: readonly CompiledRule[]): void {
    this.rules = rules;
    this.index();
  }

  /** New samples arrived for a target: evaluate the rules that read them. */
  onSignals(target: string, names: readonly string[], now: number): void {
    const seen = new Set<CompiledRule>();
    for (const name of names) for (const rule of this.bySignal.get(name) ?? []) seen.add(rule);
    for (const rule of [...seen].sort((a, b) => b.priority - a.priority)) {
      if (appliesTo(rule, target)) this.evaluateRule(rule, target, now);
    }
  }

  tick(now: number): void {
    for (const rule of this.rules) for (const target of this.targets) if (appliesTo(rule, target)) this.evaluateRule(rule, target, now);
  }

  /** After an action on a target: its rules, on every replica, start afresh and ignore every earlier sample. */
  resetTarget(target: string, at: number): void {
    for (const rule of this.rules) {
      if (!appliesTo(rule, target)) continue;
      const keys = new Set([stateKey(rule.name, target), ...this.knownScopes(rule.name, target).map((r) => stateKey(rule.name, target, r))]);
      for (const key of keys) this.states.set(key, resetRule(this.states.get(key) ?? INITIAL_RULE_STATE, at));
    }
  }

  /**
   * Medic starts changing the target (a mutating step): until `handsOff` and its settle time after,
   * the target's rules open nothing, so a restart is never paged as the outage it causes.
   */
  handsOn(target: string, at: number): void {
    const q = this.handsOnAt(target, at) ? this.quiet.get(target)! : { running: 0, until: 0, held: new Set<string>() };
    q.running++;
    this.quiet.set(target, q);
  }

  /** The change ended at `at`: its effects settle for `settleMs`, then the rules judge the target afresh. */
  handsOff(target: string, at: number, settleMs: number): void {
    const q = this.quiet.get(target);
    if (!q) return;
    q.running = Math.max(0, q.running - 1);
    q.until = Math.max(q.until, at + settleMs);
  }

  markActive(rule: string, target: string, active: boolean, labels: Labels = {}): void {
    const key = stateKey(rule, target, labels[REPLICA_LABEL]);
    if (active) {
      this.active.add(key);
      return;
    }
    this.active.delete(key);
    if (this.causeOpen(rule, target, labels[REPLICA_LABEL])) return;
    // The cause is over: its symptoms that still hold are judged again, and may open their own incidents.
    for (const [k, sym] of this.symptoms) {
      if (sym.cause !== rule || sym.target !== target) continue;
      this.symptoms.delete(k);
      const state = this.states.get(k);
      if (state?.phase === 'firing') this.states.set(k, { ...state, phase: 'pending' });
    }
  }

  /** Every rule, target and replica whose rule fires now (held for its `for`). */
  firing(): { rule: string; target: string; labels: Labels; state: RuleState }[] {
    const out: { rule: string; target: string; labels: Labels; state: RuleState }[] = [];
    for (const [key, state] of this.states) {
      if (state.phase !== 'firing') continue;
      const [rule, target, replica] = splitKey(key);
      if (this.rules.some((r) => r.name === rule)) out.push({ rule, target, labels: replicaLabels(replica), state });
    }
    return out;
  }

  state(rule: string, target: string, labels: Labels = {}): RuleState {
    return this.states.get(stateKey(rule, target, labels[REPLICA_LABEL])) ?? INITIAL_RULE_STATE;
  }

  /**
   * Does the rule still hold, judged only on samples taken at or after `since`?
   * For verify: count windows make do with fewer samples, and every signal the
   * rule reads must have been seen again, so silence never passes for health.
   */
  holdsSince(
    rule: CompiledRule, target: string, since: number, now: number, labels: Labels = {},
  ): { holds: boolean; known: boolean; explain: string } {
    const replica = labels[REPLICA_LABEL];
    const scope = { target, now, since, partialCountWindows: true, ...(replica === undefined ? {} : { replica }) };
    const evs: Evaluation[] = [];
    for (const band of rule.bands) {
      const ev = evaluate(band.condition, this.source, scope);
      if (ev.holds) return { holds: true, known: true, explain: ev.explain };
      evs.push(ev);
    }
    // Cleared only when every band could be judged on fresh samples: an empty window is no evidence.
    return { holds: false, known: evs.every((e) => e.known), explain: evs.map((e) => e.explain).join('; ') };
  }

  /**
   * One evaluation per replica that reports a signal the rule reads; the group
   * is judged when none does, or while a group-wide state of the rule is still
   * live (it must be able to clear).
   */
  private evaluateRule(rule: CompiledRule, target: string, now: number): void {
    const replicas = new Set<string>();
    for (const name of this.signalsByRule.get(rule) ?? []) for (const r of this.source.replicas?.(target, name) ?? []) replicas.add(r);
    const groupKey = stateKey(rule.name, target);
    const groupLive = this.active.has(groupKey) || (this.states.get(groupKey)?.phase ?? 'ok') !== 'ok';
    if (replicas.size === 0 || groupLive) this.evaluateOne(rule, target, undefined, now);
    for (const r of [...replicas].sort(byNumber)) this.evaluateOne(rule, target, r, now);
  }

  private evaluateOne(rule: CompiledRule, target: string, replica: string | undefined, now: number): void {
    const key = stateKey(rule.name, target, replica);
    const labels = replicaLabels(replica);
    const prev = this.states.get(key) ?? INITIAL_RULE_STATE;
    const { state, event } = stepRule(rule, target, prev, this.source, now, replica);
    this.states.set(key, state);
    if (state.phase === 'ok') this.symptoms.delete(key);
    if (event?.kind === 'fired') {
      this.fire(key, state, { rule, target, severity: event.severity, value: event.value, explain: event.explain, labels }, now);
    } else if (event?.kind === 'escalated') {
      // A symptom's severity is its cause's business: it has no incident to raise.
      if (this.symptoms.has(key)) return;
      this.sink.escalated({ rule, target, severity: event.severity, value: event.value, explain: event.explain, labels });
    } else if (state.phase === 'ok' && this.active.has(key)) {
      // Either the rule stopped holding, or a settle reset forgot that it fired: clear only on fresh evidence.
      const check = this.holdsSince(rule, target, state.resetAt, now, labels);
      if (!check.holds && check.known) this.sink.cleared(rule, target, event?.kind === 'cleared' ? event.explain : check.explain, labels);
    }
  }

  /** A rule fired: a new incident, unless Medic is working on the target or a cause of it is open there. */
  private fire(key: string, state: RuleState, p: Problem, now: number): void {
    const { rule, target } = p;
    if (this.handsOnAt(target, now)) {
      // Still pending: if it holds once the window ends, it fires then, judged on what came after the change.
      this.states.set(key, { ...state, phase: 'pending' });
      const q = this.quiet.get(target)!;
      if (!q.held.has(rule.name)) {
        q.held.add(rule.name);
        this.sink.suppressed?.(p);
      }
      return;
    }
    const replica = p.labels?.[REPLICA_LABEL];
    const cause = (rule.inhibitedBy ?? []).find((c) => this.causeOpen(c, target, replica));
    if (cause !== undefined && this.sink.inhibited) {
      this.symptoms.set(key, { cause, target });
      this.sink.inhibited(p, cause);
      return;
    }
    this.sink.fired(p);
  }

  /**
   * Has the cause an open incident that covers this scope: the whole target's, the same
   * replica's, or (for a symptom of the whole group) any replica's?
   */
  private causeOpen(cause: string, target: string, replica: string | undefined): boolean {
    if (this.active.has(stateKey(cause, target))) return true;
    if (replica !== undefined) return this.active.has(stateKey(cause, target, replica));
    const prefix = `${stateKey(cause, target)}\u0000`;
    return [...this.active].some((k) => k.startsWith(prefix));
  }

  /** Is a change by Medic running on the target, or settling? An ended window is dropped, its counters restarted. */
  private handsOnAt(target: string, now: number): boolean {
    const q = this.quiet.get(target);
    if (!q) return false;
    if (q.running > 0 || now < q.until) return true;
    this.quiet.delete(target);
    return false;
  }

  /** Replicas this rule has a state for on the target. */
  private knownScopes(rule: string, target: string): string[] {
    const prefix = `${stateKey(rule, target)}\u0000`;
    return [...this.states.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  private index(): void {
    this.bySignal.clear();
    this.signalsByRule.clear();
    for (const rule of this.rules) {
      this.signalsByRule.set(rule, [...new Set(rule.bands.flatMap((b) => signalsOf(b.condition)))]);
      for (const name of this.signalsByRule.get(rule)!) {
        const list = this.bySignal.get(name) ?? [];
        list.push(rule);
        this.bySignal.set(name, list);
      }
    }
  }
}

function appliesTo(rule: CompiledRule, target: string): boolean {
  return rule.targets === null || rule.targets.includes(target);
}

function stateKey(rule: string, target: string, replica?: string): string {
  return replica === undefined ? `${rule}\u0000${target}` : `${rule}\u0000${target}\u0000${replica}`;
}

function splitKey(key: string): [string, string, string | undefined] {
  return key.split('\u0000') as [string, string, string | undefined];
}

/** Replica 2 before replica 10. */
function byNumber(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}
