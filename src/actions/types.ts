import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { NotifierPort } from '../core/notification.js';
import type { Severity } from '../core/severity.js';
import type { TargetConfig } from '../config/types.js';
import type { SupervisorPort } from '../supervisor/types.js';

// The executor and the remediator take the notifier from here, with the action types.
export type { Notification, NotifierPort } from '../core/notification.js';

export interface ActionContext<P> {
  /** Rendered (templates filled in) and parsed by the plugin's schema. */
  readonly params: P;
  readonly targetName: string;
  /** The target's config, when the target is a configured one. */
  readonly target: TargetConfig | undefined;
  /** `labels`: the incident's, e.g. `replica` when it is about one replica of a group. */
  readonly incident: {
    readonly id: string; readonly rule: string; readonly severity: Severity; readonly labels?: Readonly<Record<string, string>>;
  } | null;
  readonly executionId: string;
  readonly clock: Clock;
  /** Aborted on the step's timeout or engine stop; every action must honour it. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly supervisor: SupervisorPort;
  readonly notifier: NotifierPort;
}

export interface ActionPlanInfo {
  /** One line a person reads in an approval: "restart demo (1 replica, SIGTERM, 2s grace)". */
  readonly summary: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ActionOutcome {
  readonly summary: string;
  /** Captured output, already capped. */
  readonly output?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** Whatever rollback() needs to undo this (e.g. the previous replica count). JSON-serialisable. */
  readonly rollbackState?: unknown;
  /**
   * From rollback() only: false when the undo changed nothing (no undo was
   * given, or there is nothing a restart could take back). The execution is
   * then not "rolled back": the step stays as it was.
   */
  readonly undone?: false;
}

/**
 * An action plugin: one file in src/actions. `plan` changes nothing. `execute`
 * throws ActionError (src/core/errors.ts) on failure. `idempotent` says whether
 * running it twice is safe, which decides what happens to a step left in
 * doubt by a crash.
 */
export interface ActionPlugin<P = unknown> {
  readonly type: string;
  readonly schema: z.ZodType<P>;
  readonly idempotent: boolean;
  /** The same for rollback(), when it differs; without it, `idempotent` answers for the undo too. */
  readonly rollbackIdempotent?: boolean;
  /** Does execute touch the target (so it counts towards rate limits and blast radius)? */
  readonly mutates: boolean;
  plan(ctx: ActionContext<P>): Promise<ActionPlanInfo>;
  execute(ctx: ActionContext<P>): Promise<ActionOutcome>;
  rollback?(ctx: ActionContext<P>, state: unknown): Promise<ActionOutcome>;
}
