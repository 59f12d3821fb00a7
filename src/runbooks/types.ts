import type { Condition } from '../core/condition.js';

/**
 * A runbook as the engine runs it: compiled from YAML by ./compile.ts,
 * defaults applied, durations in ms, frozen. Step params stay templates
 * (strings with `{{ ... }}`) until ./template.ts renders them for one incident.
 */
export interface CompiledRunbook {
  readonly name: string;
  readonly description: string;
  /** Absolute path of the YAML file. */
  readonly file: string;
  readonly match: RunbookMatch;
  readonly risk: 'low' | 'medium' | 'high';
  readonly impact: string;
  readonly rollbackPlan: string;
  /** 'by_severity' defers to the policy (P0/P1 wait for a person). */
  readonly approval: 'auto' | 'required' | 'by_severity';
  /** After the last step: wait this long, and restart the rule's `for` counters, before verifying. */
  readonly settleMs: number;
  readonly strategies: readonly CompiledStrategy[];
  readonly verify: CompiledVerify;
  readonly watch: CompiledWatch;
  /** Template variables that must match a pattern before they are used (e.g. `labels.service`). */
  readonly inputs: Readonly<Record<string, { readonly pattern: RegExp }>>;
}

export interface RunbookMatch {
  readonly rules: readonly string[];
  /** null = any target. */
  readonly targets: readonly string[] | null;
  /** Target labels that must all be equal. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface CompiledStrategy {
  readonly name: string;
  readonly steps: readonly CompiledStep[];
}

export interface BackoffSpec {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

export interface CompiledStep {
  readonly kind: 'action';
  readonly name: string;
  readonly action: string;
  /** Raw params; strings may hold `{{ ... }}` templates. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffSpec;
  readonly onFailure: 'abort' | 'skip' | 'continue';
  readonly when: Condition | null;
  /** An explicit undo; without it the action's own rollback (if any) is used. */
  readonly rollback: { readonly action: string; readonly params: Readonly<Record<string, unknown>> } | null;
}

export interface CompiledVerify {
  /** The whole verification must pass within this. */
  readonly timeoutMs: number;
  /** Re-check every this long. */
  readonly intervalMs: number;
  /** The rule that fired must no longer hold (on samples taken after the settle). */
  readonly ruleCleared: boolean;
  /** Further conditions that must hold on fresh samples. */
  readonly checks: readonly Condition[];
}

export interface CompiledWatch {
  /** 0 disables the guard window. */
  readonly durationMs: number;
  /** Roll back if this signal's value rises above factor × its value when the execution started. */
  readonly errorRate: { readonly signal: string; readonly factor: number } | null;
  readonly latency: { readonly signal: string; readonly factor: number } | null;
  /** Roll back if this signal reads 0 (failed) for `failures` samples in a row. */
  readonly health: { readonly signal: string; readonly failures: number } | null;
}
