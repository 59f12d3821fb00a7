import { longestWindowMs } from '../core/condition.js';
import { fingerprint } from '../core/fingerprint.js';
import type { Hit } from '../core/limits.js';
import { pruneHits } from '../core/limits.js';
import { decide, type Verdict } from '../core/policy.js';
import type { Severity } from '../core/severity.js';
import type { Signal } from '../core/signal.js';
import type { CompiledConfig } from '../config/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import { Detector, type Problem } from '../incidents/detector.js';
import { policyBasis } from '../remediation/select.js';
import { SignalBuffer } from '../core/signals.js';

/** One thing the engine would have done, at a simulated time. */
export interface BacktestEvent {
  readonly at: number;
  /** opened: a new incident; escalated: its severity rose; resolved: the rule stopped holding. */
  readonly event: 'opened' | 'escalated' | 'resolved';
  /** Numbered in order of opening: the same number is the same incident. */
  readonly incident: number;
  readonly rule: string;
  readonly target: string;
  readonly severity: Severity;
  /** For `opened`: the runbook the engine would have chosen (null: none fits, a person is asked). */
  readonly runbook: string | null;
  /** For `opened`: what the policy would have said. */
  readonly policy: Pick<Verdict, 'kind' | 'reason'> | null;
  readonly explain: string;
}

export interface BacktestOptions {
  /** Simulated tick between samples, so that `for` durations end in quiet gaps (the engine ticks every 200 ms). */
  readonly tickMs?: number;
}

const TICK_MS = 200;
/** In a long quiet gap, tick this many times at most; rules only need a tick after their `for` ends. */
const MAX_TICKS_PER_GAP = 600;
const HOUR = 3_600_000;

/**
 * Replays recorded signals through the rules, the incident dedup, runbook
 * selection and the policy, on a simulated clock (the signals' own times).
 * Nothing is executed and nothing is stored: each "run" verdict is assumed to
 * have run, so later decisions see it in their rate limits and cooldowns.
 * The policy is asked as in active mode, whatever the config's mode, so that
 * a shadow-mode config shows what switching to active would do.
 */
export function backtest(config: CompiledConfig, runbooks: readonly CompiledRunbook[], signals: readonly Signal[], opts: BacktestOptions = {}): BacktestEvent[] {
  const tickMs = opts.tickMs ?? TICK_MS;
  const longest = Math.max(15 * 60_000, ...config.rules.flatMap((r) => r.bands.map((b) => longestWindowMs(b.condition))));
  const buffer = new SignalBuffer({ maxAgeMs: longest + 60_000, maxPointsPerSeries: 100_000 });
  const out: BacktestEvent[] = [];
  const open = new Map<string, { n: number; severity: Severity; openedAt: number }>();
  let hits: Hit[] = [];
  let count = 0;
  let now = signals[0]?.at ?? 0;
  const targets = [...new Set([...Object.keys(config.targets), ...signals.map((s) => s.target)])];

  const world = { runbooks, rules: (name: string) => config.rules.find((r) => r.name === name), targets: config.targets };
  const onProblem = (p: Problem, kind: 'fired' | 'escalated') => {
    const key = fingerprint(p.rule.name, p.target, p.labels);
    const current = open.get(key);
    if (current) {
      if (kind === 'escalated' && p.severity < current.severity) {
        current.severity = p.severity;
        out.push({ at: now, event: 'escalated', incident: current.n, rule: p.rule.name, target: p.target, severity: p.severity, runbook: null, policy: null, explain: p.explain });
      }
      return;
    }
    const n = ++count;
    open.set(key, { n, severity: p.severity, openedAt: now });
    detector.markActive(p.rule.name, p.target, true, p.labels);
    const basis = policyBasis(world, { rule: p.rule.name, target: p.target, severity: p.severity, labels: { ...p.labels } });
    const runbook = basis?.runbook ?? null;
    let policy: BacktestEvent['policy'] = null;
    if (basis) {
      hits = pruneHits(hits, now, HOUR);
      const verdict = decide({ ...config.policy, mode: 'active' }, {
        ...basis.input, now, trigger: 'auto', dryRun: false,
        silencedBy: null, breaker: null, hits, heldOnTarget: [], runningOnTarget: [], runningTotal: 0,
      });
      policy = { kind: verdict.kind, reason: verdict.reason };
      if (verdict.kind === 'run') hits.push({ at: now, target: p.target, runbook: basis.runbook.name, automatic: true });
    } else {
      policy = { kind: 'refuse', reason: `no runbook fixes ${p.rule.name} on ${p.target}: a person must act` };
    }
    out.push({ at: now, event: 'opened', incident: n, rule: p.rule.name, target: p.target, severity: p.severity, runbook: runbook?.name ?? null, policy, explain: p.explain });
  };

  const detector: Detector = new Detector(config.rules, targets, buffer, {
    fired: (p) => onProblem(p, 'fired'),
    escalated: (p) => onProblem(p, 'escalated'),
    // As in the engine: a symptom of a cause open on its target is no incident of its own.
    inhibited: () => {},
    cleared: (rule, target, explain, labels) => {
      const key = fingerprint(rule.name, target, labels);
      const current = open.get(key);
      detector.markActive(rule.name, target, false, labels);
      if (!current) return;
      open.delete(key);
      out.push({ at: now, event: 'resolved', incident: current.n, rule: rule.name, target, severity: current.severity, runbook: null, policy: null, explain });
    },
  });

  let i = 0;
  while (i < signals.length) {
    const at = signals[i]!.at;
    // Quiet time before this instant: tick as the engine would, so `for` durations can end.
    let ticks = 0;
    for (let t = now + tickMs; t < at && ticks < MAX_TICKS_PER_GAP; t += tickMs, ticks++) {
      now = t;
      detector.tick(now);
    }
    now = at;
    const batch: Signal[] = [];
    while (i < signals.length && signals[i]!.at === at) batch.push(signals[i++]!);
    buffer.add(batch);
    const byTarget = new Map<string, Set<string>>();
    for (const s of batch) byTarget.set(s.target, (byTarget.get(s.target) ?? new Set()).add(s.name));
    for (const [target, names] of byTarget) detector.onSignals(target, [...names], now);
    detector.tick(now);
    buffer.prune(now);
  }
  return out;
}
