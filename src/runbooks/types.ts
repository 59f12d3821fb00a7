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
  /** Its own restart-loop guard; a null field (or null) takes policy.flap's. */
  readonly flap: { readonly max: number | null; readonly withinMs: number | null } | null;
  readonly strategies: readonly CompiledStrategy[];
  readonly verify: CompiledVerify;
  readonly watch: CompiledWatch;
  /** Template variables that must match a pattern before they are used (e.g. `labels.service`). */
  readonly inputs: Readonly<Record<string, { readonly pattern: RegExp }>>;
  /** Set when the runbook is a chain: how a failure ends it, and its time limit. */
  readonly chain: CompiledChain | null;
}

export type ChainStrategy = 'continue-on-error' | 'stop-on-failure' | 'rollback-on-failure';

export interface CompiledChain {
  readonly strategy: ChainStrategy;
  /** 0 = no limit. */
  readonly maxDurationMs: number;
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

/** An outcome of an earlier step that a later step's `when` can ask about. */
export interface StepResultCheck {
  readonly step: string;
  readonly is: readonly ('succeeded' | 'failed' | 'skipped')[];
}

interface StepCommon {
  readonly name: string;
  readonly onFailure: 'abort' | 'skip' | 'continue';
  /** On live signals; null = always. */
  readonly when: Condition | null;
  /** On earlier steps' outcomes; all must hold. */
  readonly whenSteps: readonly StepResultCheck[];
}

/** A step is an action, or another runbook run in its place (a chain); STYLE habit 11. */
export type CompiledStep = CompiledActionStep | CompiledRunbookStep;

export interface CompiledActionStep extends StepCommon {
  readonly kind: 'action';
  readonly action: string;
  /** Raw params; strings may hold `{{ ... }}` templates. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffSpec;
  /** The runbook's own declaration; null = the action plugin's. */
  readonly idempotent: boolean | null;
  /** An explicit undo; without it the action's own rollback (if any) is used. */
  readonly rollback: { readonly action: string; readonly params: Readonly<Record<string, unknown>> } | null;
}

export interface CompiledRunbookStep extends StepCommon {
  readonly kind: 'runbook';
  /** The runbook to run; resolved (and checked for cycles) when all runbooks are loaded. */
  readonly runbook: string;
  /** Become `{{ params.x }}` in the called runbook; may themselves be templates of the caller. */
  readonly params: Readonly<Record<string, unknown>>;
  /** All of the called runbook's steps together; 0 = no limit of its own. */
  readonly timeoutMs: number;
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
