import { ruleScope } from '../core/fingerprint.js';
import type { Execution, Incident } from '../core/records.js';
import type { Point } from '../core/window.js';
import type { CompiledRunbook, CompiledWatch } from '../runbooks/types.js';
import { withTimeout } from './attempt.js';
import type { ExecutorDeps } from './types.js';

/**
 * Verify: after the settle time, fresh evidence must show the problem gone
 * (the rule that fired no longer holds on samples taken after the action, and
 * every check holds) within the runbook's timeout. The probes of the target
 * are asked to check at once on every round instead of at their next tick.
 */
export async function runVerify(
  deps: ExecutorDeps, runbook: CompiledRunbook, target: string, incident: Incident | null, signal: AbortSignal,
): Promise<{ ok: boolean; explain: string }> {
  const { clock, evidence } = deps;
  const v = runbook.verify;
  try {
    if (runbook.settleMs > 0) await clock.sleep(runbook.settleMs, signal);
  } catch {
    return { ok: false, explain: 'stopped while settling' };
  }
  const since = clock.now();
  const deadline = since + v.timeoutMs;
  const rule = incident && v.ruleCleared ? deps.rules().get(incident.rule) : undefined;
  // "The rule no longer holds" cannot be shown for a rule that is gone: that is no evidence, not success.
  if (incident && v.ruleCleared && !rule && v.checks.length === 0) {
    return { ok: false, explain: `cannot verify: rule ${incident.rule} is not defined, and the runbook has no checks` };
  }
  let explain = 'no evidence yet';
  for (;;) {
    const left = deadline - clock.now();
    await withTimeout(clock, Math.max(1, left), signal, () => evidence.checkNow(target)).catch(() => undefined);
    const now = clock.now();
    const parts: string[] = [];
    let ok = true;
    if (rule) {
      const r = evidence.ruleHoldsSince(rule, target, since, now, incident ? ruleScope(incident) : {});
      if (r.holds) { ok = false; parts.push(`${rule.name} still holds: ${r.explain}`); }
      else if (!r.known) { ok = false; parts.push(`${rule.name}: no fresh samples yet`); }
      else parts.push(`${rule.name} cleared: ${r.explain}`);
    }
    for (const check of v.checks) {
      const ev = evidence.evaluate(check, target, since, now);
      if (!ev.holds) ok = false;
      parts.push(ev.explain);
    }
    explain = parts.join('; ') || 'nothing to check';
    if (ok) return { ok: true, explain };
    if (signal.aborted) return { ok: false, explain: `stopped: ${explain}` };
    if (clock.now() >= deadline) return { ok: false, explain: `not verified within ${v.timeoutMs} ms: ${explain}` };
    try {
      await clock.sleep(Math.min(v.intervalMs, Math.max(1, deadline - clock.now())), signal);
    } catch {
      return { ok: false, explain: `stopped: ${explain}` };
    }
  }
}

export type WatchResult =
  | { readonly kind: 'ok'; readonly explain: string }
  | { readonly kind: 'worse'; readonly explain: string }
  /** A person's rollback ended it: no verdict on the fix. */
  | { readonly kind: 'ended'; readonly explain: string };

/** Why a watch was ended from outside: the abort reason the executor gives its signal. */
export class WatchEnd {
  constructor(readonly kind: 'failing' | 'ended', readonly reason: string) {}
}

/** Error ratios and latencies below these floors are noise, never "twice as bad". */
const ERROR_RATIO_FLOOR = 0.05;
const LATENCY_FLOOR_MS = 100;
const WATCH_WINDOW_MS = 5_000;

/**
 * The guard window after verify: the fix is worse than nothing if the error
 * rate doubled, the latency tripled (each against its value when the
 * execution started, with a floor), the health check failed several times in
 * a row, the rule that fired fires again, or a new problem opened on the
 * target (the engine ends the watch with a WatchEnd 'failing').
 */
export async function runWatch(
  deps: ExecutorDeps, w: CompiledWatch, execution: Execution, incident: Incident | null, signal: AbortSignal,
): Promise<WatchResult> {
  const { clock, evidence } = deps;
  const start = clock.now();
  const end = start + w.durationMs;
  const baseline = (execution.plan['baseline'] ?? {}) as Record<string, number | undefined>;
  const interval = Math.min(1_000, Math.max(100, w.durationMs / 20));
  while (clock.now() < end) {
    try {
      await clock.sleep(Math.min(interval, end - clock.now()), signal);
    } catch {
      const end = signal.reason instanceof WatchEnd ? signal.reason : new WatchEnd('ended', 'the engine stopped');
      return end.kind === 'failing' ? { kind: 'worse', explain: end.reason } : { kind: 'ended', explain: `watch ended early: ${end.reason}` };
    }
    const now = clock.now();
    const target = execution.target;
    // The problem the fix was for is back (its rule held for its `for` again, counted afresh since the fix).
    if (incident && evidence.ruleFiring(incident.rule, target)) {
      return { kind: 'worse', explain: `${incident.rule} fires again on ${target} after the fix` };
    }
    if (w.health) {
      const recent = fresh(evidence.points(target, w.health.signal), start, now).slice(-w.health.failures);
      if (recent.length === w.health.failures && recent.every((p) => p.value === 0)) {
        return { kind: 'worse', explain: `${w.health.signal} failed ${w.health.failures} times in a row after the fix` };
      }
    }
    for (const [spec, floor] of [[w.errorRate, ERROR_RATIO_FLOOR], [w.latency, LATENCY_FLOOR_MS]] as const) {
      if (!spec) continue;
      const pts = fresh(evidence.points(target, spec.signal), Math.max(start, now - WATCH_WINDOW_MS), now);
      if (pts.length < 2) continue;
      const avg = pts.reduce((a, p) => a + p.value, 0) / pts.length;
      const base = Math.max(baseline[spec.signal] ?? 0, floor);
      if (avg > spec.factor * base) {
        return { kind: 'worse', explain: `${spec.signal} is ${round(avg)}, more than ${spec.factor}× its ${round(base)} before the fix` };
      }
    }
  }
  return { kind: 'ok', explain: `nothing got worse in ${w.durationMs} ms` };
}

function fresh(points: readonly Point[], since: number, now: number): Point[] {
  return points.filter((p) => p.at >= since && p.at <= now);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
