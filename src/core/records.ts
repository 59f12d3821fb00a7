import type { Severity } from './severity.js';

/**
 * Records as the store keeps them and the API shows them. Times are epoch ms.
 * The state machines that move them live in ./incident.ts and ./execution.ts.
 */
export const INCIDENT_STATUSES = ['open', 'remediating', 'awaiting_approval', 'resolved', 'escalated', 'failed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface Incident {
  readonly id: string;
  readonly fingerprint: string;
  readonly rule: string;
  readonly target: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The value that made the rule hold, when there is one. */
  readonly value: number | null;
  readonly source: 'rule' | 'alert' | 'manual';
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly resolvedAt: number | null;
  /** Silenced incidents are recorded and never acted on. */
  readonly silenced: boolean;
}

export interface TimelineEntry {
  readonly id: number;
  readonly incidentId: string;
  readonly at: number;
  /** detected, decided, step, verified, rolled_back, resolved, escalated, ... */
  readonly kind: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>> | null;
}

export const EXECUTION_STATUSES = [
  'pending', 'awaiting_approval', 'running', 'verifying',
  /** Verified, and in its watch window: not a success until the watch ends clean. */
  'watching',
  'rolling_back',
  /** A step's outcome is unknown after a crash: waits for a person to resume or abandon it. */
  'held',
  'succeeded', 'failed', 'rolled_back', 'rejected', 'cancelled', 'dry_run', 'shadowed',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'rolled_back', 'rollback_failed', 'unknown'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface Execution {
  readonly id: string;
  readonly incidentId: string | null;
  readonly runbook: string;
  readonly target: string;
  readonly severity: Severity;
  readonly status: ExecutionStatus;
  /** Index of the strategy being tried (or that finished). */
  readonly strategy: number;
  /** Why the policy let it run or held it ("auto: P2", "needs approval: P1"). */
  readonly reason: string;
  /** 'engine' for automatic executions, a token's name otherwise. */
  readonly requestedBy: string;
  readonly approvedBy: string | null;
  readonly dryRun: boolean;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly error: string | null;
  /** The plan as shown to a person: runbook, risk, impact, rollback plan, steps. */
  readonly plan: Readonly<Record<string, unknown>>;
  /** Shadowed: how often the engine would have run it again while its problem held (past the cooldown). Default 0. */
  readonly shadowRepeats?: number;
}

export const STEP_PHASES = ['step', 'rollback', 'verify', 'watch'] as const;
export type StepPhase = (typeof STEP_PHASES)[number];

export interface StepRecord {
  readonly executionId: string;
  /** Position across the whole execution: strategies' steps, then rollbacks, in the order they ran. */
  readonly seq: number;
  readonly strategy: number;
  /** Index of the step within its strategy. */
  readonly index: number;
  /** A forward step, the undo of one, or the verify/watch of a strategy. */
  readonly phase: StepPhase;
  readonly name: string;
  readonly action: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly status: StepStatus;
  readonly attempts: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly output: string | null;
  readonly error: string | null;
  /** What the action returned for undoing itself. */
  readonly rollbackState: unknown;
}

export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  /** 'engine', 'cli', or a token's name. */
  readonly actor: string;
  /** detection, decision, execution, step, approval, rollback, setting, ... */
  readonly kind: string;
  readonly subject: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly result: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * What became of one received alert (src/intake): `firing` opened or kept a
 * problem, `resolved` ended one, `duplicate` repeated what was known (a
 * re-send, a retry, the other Alertmanager of a pair), `stale` arrived after
 * its own resolution, `unrouted` matched no route (kept, for a person).
 */
export const ALERT_OUTCOMES = ['firing', 'resolved', 'duplicate', 'stale', 'unrouted'] as const;
export type AlertOutcome = (typeof ALERT_OUTCOMES)[number];

export interface AlertRecord {
  readonly id: number;
  readonly receivedAt: number;
  /** alertmanager | webhook */
  readonly source: string;
  /** Who sent it: the token's name, or `secret` for the shared secret; plus the Alertmanager receiver. */
  readonly sender: string;
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly startsAt: number;
  readonly endsAt: number | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly rule: string | null;
  readonly target: string | null;
  readonly severity: Severity | null;
  readonly outcome: AlertOutcome;
  /** Why it was not routed. */
  readonly reason: string | null;
}
