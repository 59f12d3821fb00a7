import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Condition } from '../core/condition.js';
import type { Evaluation } from '../core/evaluate.js';
import type { Execution, Incident } from '../core/records.js';
import type { Point } from '../core/window.js';
import type { CompiledRule, TargetConfig } from '../config/types.js';
import type { ActionPlugin, NotifierPort } from '../actions/types.js';
import type { EventBus } from '../core/events.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Store } from '../store/types.js';
import type { SupervisorPort } from '../supervisor/types.js';

/** What the executor needs to know about the world's state, narrowed from the engine. */
export interface Evidence {
  /** Forget the target's rule counters and every sample before `at` (the settle reset). */
  resetTarget(target: string, at: number): void;
  /**
   * A mutating step starts on the target at `at`: its rules open no incidents until the returned
   * `done(end, settleMs)` is called and the settle time after it has passed (Medic's own change is not an outage).
   */
  handsOn(target: string, at: number): { done(at: number, settleMs: number): void };
  /** Fresh samples now, instead of at the next probe tick. */
  checkNow(target: string): Promise<void>;
  /** `labels`: the replica the incident is about, when it is one replica's (see ruleScope). */
  ruleHoldsSince(
    rule: CompiledRule, target: string, since: number, now: number, labels?: Readonly<Record<string, string>>,
  ): { holds: boolean; known: boolean; explain: string };
  evaluate(cond: Condition, target: string, since: number, now: number): Evaluation;
  points(target: string, signal: string): readonly Point[];
  /** The rule holds on the target now, for its whole `for` (counted afresh since the last settle reset). */
  ruleFiring(rule: string, target: string): boolean;
}

export interface ExecutorDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventBus;
  readonly actions: ReadonlyMap<string, ActionPlugin>;
  readonly supervisor: SupervisorPort;
  readonly notifier: NotifierPort;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly evidence: Evidence;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
  readonly rules: () => ReadonlyMap<string, CompiledRule>;
  /** Every loaded runbook, for the runbooks a chain calls. */
  readonly runbooks?: () => readonly CompiledRunbook[];
}

/** The incident an execution fixes, and the variables its templates may use. */
export interface ExecutionContext {
  readonly incident: Incident | null;
  /** Variables for templates beyond incident and target (runbook params, alert labels). */
  readonly params: Readonly<Record<string, unknown>>;
}

export type FinishedExecution = Execution;
