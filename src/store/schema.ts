import type { Generated } from 'kysely';
import type { AlertOutcome, ExecutionStatus, IncidentStatus, StepPhase, StepStatus } from '../core/records.js';
import type { Severity } from '../core/severity.js';

/**
 * Row types as Kysely sees the tables created by ./migrations. Portable
 * column types only, so SQLite and PostgreSQL share one schema:
 * - times are epoch milliseconds in `bigint` columns (`number` here);
 * - booleans are 0/1 `integer`s (SQLite has no boolean type);
 * - JSON is `text`, encoded and decoded by ./codec.ts, never queried inside.
 * Snake_case here; the store modules map rows to the camelCase records of
 * src/core/records.ts and nothing outside src/store sees these types.
 */

/** 0 or 1. */
export type IntBool = number;

export interface IncidentsTable {
  id: string;
  fingerprint: string;
  rule: string;
  target: string;
  severity: Severity;
  status: IncidentStatus;
  title: string;
  /** JSON object of string → string. */
  labels: string;
  value: number | null;
  source: 'rule' | 'alert' | 'manual';
  opened_at: number;
  updated_at: number;
  resolved_at: number | null;
  silenced: IntBool;
}

export interface IncidentTimelineTable {
  id: Generated<number>;
  incident_id: string;
  at: number;
  kind: string;
  message: string;
  /** JSON object, or NULL. */
  data: string | null;
}

export interface ExecutionsTable {
  id: string;
  incident_id: string | null;
  runbook: string;
  target: string;
  severity: Severity;
  status: ExecutionStatus;
  strategy: number;
  reason: string;
  requested_by: string;
  approved_by: string | null;
  dry_run: IntBool;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  /** JSON object. */
  plan: string;
  shadow_repeats: number;
}

export interface ExecutionStepsTable {
  execution_id: string;
  seq: number;
  strategy: number;
  /** StepRecord.index; `index` is a keyword in SQL. */
  step_index: number;
  phase: StepPhase;
  name: string;
  action: string;
  /** JSON object. */
  params: string;
  status: StepStatus;
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
  output: string | null;
  error: string | null;
  /** JSON of any value; NULL when the action returned nothing (undefined). */
  rollback_state: string | null;
}

export interface SignalsTable {
  target: string;
  name: string;
  value: number;
  /** JSON object of string → string. */
  labels: string;
  at: number;
  source: string;
}

export interface SettingsTable {
  key: string;
  /** JSON of any value. */
  value: string;
  updated_at: number;
}

export interface BreakersTable {
  key: string;
  state: 'closed' | 'open';
  /** JSON array of epoch ms. */
  failures: string;
  opened_at: number | null;
  /** Why it opened when not by counted failures (migration 006). */
  reason: string | null;
}

export interface AuditLogTable {
  /** Assigned by the appender (head + 1), not by the database: it is hashed. */
  seq: number;
  at: number;
  actor: string;
  kind: string;
  subject: string;
  /** Canonical JSON (src/audit/chain.ts), exactly the bytes that were hashed. */
  details: string;
  result: string;
  prev_hash: string;
  hash: string;
  /** `<key id>:<hmac of hash>` (src/audit/signing.ts); null on entries from before the store had a key. */
  mac: string | null;
}

export interface AuditCheckpointsTable {
  /** The entry signed: the log had at least this many entries. */
  seq: number;
  hash: string;
  at: number;
  mac: string;
}

export interface AlertsTable {
  id: Generated<number>;
  received_at: number;
  source: string;
  sender: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  starts_at: number;
  ends_at: number | null;
  /** JSON objects of string → string. */
  labels: string;
  annotations: string;
  rule: string | null;
  target: string | null;
  severity: Severity | null;
  outcome: AlertOutcome;
  reason: string | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  /** Hex SHA-256 of the secret; the secret itself is never stored. */
  hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface SilencesTable {
  id: string;
  /** JSON array of {label, op, value}. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
}

export interface RuntimeRulesTable {
  name: string;
  /** JSON: the rule as posted, in the config file's shape. */
  spec: string;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface DB {
  incidents: IncidentsTable;
  incident_timeline: IncidentTimelineTable;
  executions: ExecutionsTable;
  execution_steps: ExecutionStepsTable;
  signals: SignalsTable;
  settings: SettingsTable;
  breakers: BreakersTable;
  audit_log: AuditLogTable;
  audit_checkpoints: AuditCheckpointsTable;
  alerts: AlertsTable;
  api_tokens: ApiTokensTable;
  silences: SilencesTable;
  runtime_rules: RuntimeRulesTable;
}
