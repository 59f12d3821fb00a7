import type { BreakerState } from './breaker.js';
import { blastRadius, checkLimit, hitsWithin, touchedUnit, type Hit } from './limits.js';
import type { Severity } from './severity.js';

/**
 * The policy decides, for one proposed execution, whether it runs now, waits
 * for a person, or does not run, and always says why in words a person reads.
 * Checks run in a fixed order: what makes acting wrong (silence, shadow, kill
 * switch, open circuit) comes before what only makes it early (held or busy
 * target, cooldown, rate limits), and approval comes last so that a person is never asked to
 * approve something that could not run anyway.
 */
export type Verdict =
  | { readonly kind: 'run'; readonly reason: string }
  | { readonly kind: 'approval'; readonly reason: string }
  | { readonly kind: 'dry_run'; readonly reason: string }
  | { readonly kind: 'shadow'; readonly reason: string }
  | { readonly kind: 'silenced'; readonly reason: string }
  /** Not now, try again later (held or busy target, cooldown, rate limit). */
  | { readonly kind: 'defer'; readonly reason: string; readonly retryAt: number | null }
  /** Not automatically, until a person acts (kill switch, open circuit). */
  | { readonly kind: 'refuse'; readonly reason: string };

export interface PolicySettings {
  readonly mode: 'active' | 'shadow';
  readonly autoRemediation: boolean;
  readonly approval: Readonly<Record<Severity, 'required' | 'auto'>>;
  readonly rateLimits: { readonly globalPerMinute: number; readonly globalPerHour: number; readonly perTargetPerHour: number };
  readonly cooldownMs: number;
  readonly maxConcurrent: number;
  readonly blastRadius: { readonly targetsPerHour: number };
}

export interface PolicyInput {
  readonly now: number;
  readonly trigger: 'auto' | 'manual';
  readonly dryRun: boolean;
  readonly severity: Severity;
  readonly runbook: { readonly name: string; readonly approval: 'auto' | 'required' | 'by_severity'; readonly cooldownMs?: number | null };
  readonly target: string;
  /** The replica of the target's group the incident is about, if any: the blast radius counts replicas. */
  readonly replica?: string | null;
  readonly silencedBy: string | null;
  readonly breaker: BreakerState | null;
  /** Executions started (automatic and manual), newest last. */
  readonly hits: readonly Hit[];
  /**
   * Ids of executions held on this target: a step's outcome is unknown after a
   * crash, so the target is half done until a person resumes or abandons them.
   */
  readonly heldOnTarget: readonly string[];
  /** Ids of executions now running on this target, and overall. */
  readonly runningOnTarget: readonly string[];
  readonly runningTotal: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

export function decide(settings: PolicySettings, input: PolicyInput): Verdict {
  const { now, runbook, target } = input;
  const auto = input.trigger === 'auto';

  if (input.silencedBy) return { kind: 'silenced', reason: `silenced by ${input.silencedBy}: recorded, not acted on` };
  if (input.dryRun) return { kind: 'dry_run', reason: 'dry run: planned, nothing changed' };
  if (settings.mode === 'shadow') {
    return { kind: 'shadow', reason: `shadow mode: would run ${runbook.name} on ${target}; nothing changed` };
  }
  if (auto && !settings.autoRemediation) {
    return { kind: 'refuse', reason: 'kill switch is on: automatic remediation is off' };
  }
  if (auto && input.breaker?.state === 'open') {
    if (input.breaker.reason) return { kind: 'refuse', reason: `blocked: circuit open: ${input.breaker.reason}; a person must reset it` };
    const times = input.breaker.failures.slice(-5).map(clockTime).join(', ');
    return { kind: 'refuse', reason: `blocked: circuit open after ${input.breaker.failures.length} failures at ${times}; a person must reset it` };
  }
  // One execution per target: a held one keeps its target until a person decides, whoever asks.
  if (input.heldOnTarget.length > 0) {
    return {
      kind: 'defer', retryAt: null,
      reason: `target ${target} is held: execution ${input.heldOnTarget[0]} waits for a person (medic executions resume|abandon)`,
    };
  }
  if (input.runningOnTarget.length > 0) {
    return { kind: 'defer', reason: `target ${target} busy: execution ${input.runningOnTarget[0]} is running`, retryAt: null };
  }
  if (input.runningTotal >= settings.maxConcurrent) {
    return { kind: 'defer', reason: `concurrency cap: ${input.runningTotal}/${settings.maxConcurrent} executions running`, retryAt: null };
  }
  if (auto) {
    const cooldownMs = runbook.cooldownMs ?? settings.cooldownMs;
    const last = input.hits.filter((h) => h.runbook === runbook.name && h.target === target).at(-1);
    // A last run "in the future" (the clock stepped back) still holds the cooldown.
    if (last && now - last.at < cooldownMs) {
      return {
        kind: 'defer',
        reason: `cooldown: ${runbook.name} ran on ${target} at ${clockTime(last.at)}; next at ${clockTime(last.at + cooldownMs)}`,
        retryAt: last.at + cooldownMs,
      };
    }
  }
  // Manual executions count towards the limits too, but only automatic ones are held by them.
  if (auto) {
    const limits = [
      checkLimit(input.hits, now, MINUTE, settings.rateLimits.globalPerMinute, `${settings.rateLimits.globalPerMinute} executions per minute`),
      checkLimit(input.hits, now, HOUR, settings.rateLimits.globalPerHour, `${settings.rateLimits.globalPerHour} executions per hour`),
      checkLimit(hitsWithin(input.hits, now, HOUR, (h) => h.target === target), now, HOUR,
        settings.rateLimits.perTargetPerHour, `${settings.rateLimits.perTargetPerHour} executions per hour on ${target}`),
    ];
    const hit = limits.find((l) => !l.ok);
    if (hit) return { kind: 'defer', reason: hit.reason, retryAt: hit.retryAt };
  }

  if (runbook.approval === 'required') {
    return { kind: 'approval', reason: `needs approval: runbook ${runbook.name} always requires it` };
  }
  const unit = touchedUnit(target, input.replica);
  const touched = blastRadius(input.hits, now, HOUR, runbook.name).filter((t) => t !== unit);
  if (touched.length >= settings.blastRadius.targetsPerHour) {
    const what = touched.some((t) => t.includes(' replica ')) ? 'targets or replicas' : 'targets';
    return {
      kind: 'approval',
      reason: `needs approval: blast radius, ${runbook.name} already touched ${touched.length} ${what} in the last hour (${touched.slice(0, 5).join(', ')})`,
    };
  }
  if (runbook.approval === 'auto') {
    return { kind: 'run', reason: `auto: ${input.severity}, runbook ${runbook.name} is approved for automatic runs` };
  }
  if (settings.approval[input.severity] === 'required') {
    return { kind: 'approval', reason: `needs approval: ${input.severity}` };
  }
  return { kind: 'run', reason: `auto: ${input.severity} runs at once` };
}

/** "10:02:07" (UTC): short enough for a reason line, exact enough to find in the audit. */
export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
