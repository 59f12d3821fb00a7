import type { AlertOutcome, AlertRecord, AuditEntry, Execution, Incident, StepRecord, TimelineEntry, IncidentStatus, ExecutionStatus } from '../core/records.js';
import type { Signal } from '../core/signal.js';
import type { Silence } from '../core/silence.js';
import type { Severity } from '../core/severity.js';
import type { ExecutionPatch } from '../core/execution.js';
import type { IncidentPatch } from '../core/incident.js';

/**
 * The storage port: domain operations, no SQL. ./database.ts implements it
 * with Kysely over SQLite (and, later, PostgreSQL with the same schema).
 */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}

export interface IncidentFilter {
  readonly status?: readonly IncidentStatus[];
  readonly severity?: readonly Severity[];
  readonly rule?: string;
  readonly target?: string;
  /** openedAt >= since, openedAt < until */
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
  readonly offset?: number;
  /** default: openedAt desc */
  readonly order?: 'asc' | 'desc';
}

export interface ExecutionFilter {
  readonly status?: readonly ExecutionStatus[];
  readonly incidentId?: string;
  readonly runbook?: string;
  readonly target?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
  readonly offset?: number;
  readonly order?: 'asc' | 'desc';
}

export interface AuditFilter {
  readonly since?: number;
  readonly until?: number;
  readonly kind?: string;
  readonly actor?: string;
  readonly subject?: string;
  readonly limit?: number;
  readonly offset?: number;
}

export type AuditInput = Pick<AuditEntry, 'at' | 'actor' | 'kind' | 'subject' | 'details' | 'result'>;

export interface AuditCheckpointInfo {
  readonly seq: number;
  readonly hash: string;
  /** Epoch ms when it was signed. */
  readonly at: number;
}

/** The newest entry, and the newest signed checkpoint of it (null on a store without an audit key). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
  readonly checkpoint: AuditCheckpointInfo | null;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly checked: number;
  /** The first entry whose hash, link, signature or place does not match, when not ok. */
  readonly firstBad: { readonly seq: number; readonly reason: string } | null;
  /** The last entry read; seq 0 on an empty log. */
  readonly head: { readonly seq: number; readonly hash: string };
  /** The newest signed checkpoint that verified (database or head file). */
  readonly checkpoint: AuditCheckpointInfo | null;
  /** Whether MACs and checkpoints were checked: false without an audit key (chain only). */
  readonly signed: boolean;
  /** Entries without a MAC (from before the store had a key): held by the chain and the first checkpoint only. */
  readonly unsigned: number;
}

/** What sealing the head did: `written` false says why not (a log that no longer matches its signed head). */
export interface AuditSeal {
  readonly written: boolean;
  readonly checkpoint: AuditCheckpointInfo | null;
  readonly problem: string | null;
}

export interface BreakerRecord {
  readonly key: string;
  readonly state: 'closed' | 'open';
  /** Epoch ms of each failure counted since the last reset. */
  readonly failures: readonly number[];
  readonly openedAt: number | null;
  /** Why it opened when not by counted failures (the restart-loop guard). */
  readonly reason: string | null;
}

export interface AlertFilter {
  readonly outcome?: readonly AlertOutcome[];
  readonly source?: string;
  readonly rule?: string;
  readonly target?: string;
  /** receivedAt >= since, receivedAt < until */
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
  readonly offset?: number;
  /** default: newest first */
  readonly order?: 'asc' | 'desc';
}

/** An API token as stored: never its secret, only the secret's hash. */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly hash: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

/** A rule created through the API: its spec as posted, compiled again at every start. */
export interface RuntimeRuleRecord {
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Store {
  readonly incidents: {
    insert(incident: Incident): Promise<void>;
    /** Changes anything but the status: a status moves only through `move` (src/core/incident.ts's table). */
    update(id: string, patch: IncidentPatch): Promise<void>;
    /**
     * The one status write: moves `incident` (as the caller read it) to `to` by
     * src/core/incident.ts's table, compare-and-set on its current status.
     * Returns the moved record, or null when the stored status was no longer
     * the caller's (someone else moved it first). Throws on a forbidden move.
     */
    move(incident: Incident, to: IncidentStatus, at: number): Promise<Incident | null>;
    get(id: string): Promise<Incident | undefined>;
    /** The incident with this fingerprint that is not resolved/failed, if any. */
    findActive(fingerprint: string): Promise<Incident | undefined>;
    list(filter?: IncidentFilter): Promise<Page<Incident>>;
    appendTimeline(entry: Omit<TimelineEntry, 'id'>): Promise<void>;
    timeline(incidentId: string): Promise<TimelineEntry[]>;
  };
  readonly executions: {
    insert(execution: Execution): Promise<void>;
    /** Changes anything but the status: a status moves only through `move` (src/core/execution.ts's table). */
    update(id: string, patch: ExecutionPatch): Promise<void>;
    /**
     * The one status write: moves `execution` (as the caller read it) to `to`
     * by src/core/execution.ts's table, with the patch, compare-and-set on its
     * current status. Returns the moved record, or null when the stored status
     * was no longer the caller's (someone else decided first). Throws on a
     * forbidden move.
     */
    move(execution: Execution, to: ExecutionStatus, patch?: ExecutionPatch): Promise<Execution | null>;
    get(id: string): Promise<Execution | undefined>;
    list(filter?: ExecutionFilter): Promise<Page<Execution>>;
    /** Insert or replace the step with this (executionId, seq). */
    putStep(step: StepRecord): Promise<void>;
    steps(executionId: string): Promise<StepRecord[]>;
  };
  readonly signals: {
    append(signals: readonly Signal[]): Promise<void>;
    /** Samples of one target's signal with at >= since, oldest first. */
    query(target: string, name: string, since: number): Promise<Signal[]>;
    prune(olderThan: number): Promise<number>;
    /** Stored samples oldest first (for `medic signals export` and backtests). */
    list(filter?: { readonly since?: number; readonly until?: number; readonly target?: string; readonly limit?: number }): Promise<Signal[]>;
  };
  readonly settings: {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown, at: number): Promise<void>;
    all(): Promise<Record<string, unknown>>;
  };
  readonly breakers: {
    get(key: string): Promise<BreakerRecord | undefined>;
    put(record: BreakerRecord): Promise<void>;
    list(): Promise<BreakerRecord[]>;
  };
  readonly tokens: {
    insert(token: TokenRecord): Promise<void>;
    findByHash(hash: string): Promise<TokenRecord | undefined>;
    get(id: string): Promise<TokenRecord | undefined>;
    /** Every token, oldest first, revoked ones included. */
    list(): Promise<TokenRecord[]>;
    count(): Promise<number>;
    /** Sets revokedAt once; false when there is no such token or it was already revoked. */
    revoke(id: string, at: number): Promise<boolean>;
  };
  readonly silences: {
    insert(silence: Silence): Promise<void>;
    get(id: string): Promise<Silence | undefined>;
    /** Every silence ending at or after `endsAfter` (all when omitted), newest first. */
    list(endsAfter?: number): Promise<Silence[]>;
    setEndsAt(id: string, endsAt: number): Promise<void>;
  };
  readonly runtimeRules: {
    put(rule: RuntimeRuleRecord): Promise<void>;
    delete(name: string): Promise<boolean>;
    list(): Promise<RuntimeRuleRecord[]>;
  };
  readonly audit: {
    /** Appends one entry, chained to the previous one. Serialised: concurrent calls chain in call order. */
    append(entry: AuditInput): Promise<AuditEntry>;
    list(filter?: AuditFilter): Promise<Page<AuditEntry>>;
    verify(): Promise<AuditVerification>;
    /** The head and its newest checkpoint, cheaply (for metrics): no verification. */
    head(): Promise<AuditHead>;
    /**
     * Signs a checkpoint of the current head (start, shutdown) when the store
     * has an audit key and the log still matches its signed head.
     */
    seal(): Promise<AuditSeal>;
  };
  readonly alerts: {
    /** Many rows in one transaction: the intake writes behind, a batch per tick. */
    append(rows: readonly Omit<AlertRecord, 'id'>[]): Promise<void>;
    list(filter?: AlertFilter): Promise<Page<AlertRecord>>;
    /** The newest row of every fingerprint received at or after `since` (the intake's state after a restart). */
    latest(since: number): Promise<AlertRecord[]>;
    prune(olderThan: number): Promise<number>;
  };
  close(): Promise<void>;
}
