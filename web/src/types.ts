/**
 * What the public API answers (see docs of /api/v1). Records are the engine's
 * own types, imported for their shape only: nothing of the engine is bundled.
 */
import type { AuditEntry, Execution, Incident, StepRecord as EngineStep, TimelineEntry } from '../../src/core/records.js';
import type { Severity } from '../../src/core/severity.js';

export type { AuditEntry, Execution, Incident, TimelineEntry, Severity };
/** The API never shows a step's rollback state, only whether it has one. */
export type StepRecord = Omit<EngineStep, 'rollbackState'> & { readonly hasRollbackState: boolean };
export const SEVERITIES: readonly Severity[] = ['P0', 'P1', 'P2', 'P3'];

export type Role = 'viewer' | 'operator' | 'admin' | 'superadmin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin', 'superadmin'];

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

export interface WhoAmI {
  readonly name: string;
  readonly role: Role;
  readonly expiresAt: number | null;
}

export type IncidentDetail = Incident & { timeline: TimelineEntry[]; executions: Execution[] };
export type ExecutionDetail = Execution & { steps: StepRecord[] };
export type Approval = Execution & { deadline: number | null; needsApprovalBecause: string };

export interface IncidentStats {
  readonly byRule: Record<string, number>;
  readonly bySeverity: Partial<Record<Severity, number>>;
  readonly byStatus: Record<string, number>;
  readonly total: number;
}

export interface Mttr { readonly median: number; readonly p90: number }
export interface Stats {
  readonly window: string;
  readonly detected: number;
  readonly executed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rolledBack: number;
  readonly successRate: number | null;
  readonly mttrMs: Mttr | null;
  readonly perRunbook: { runbook: string; executed: number; succeeded: number; failed: number; rolledBack: number; successRate: number | null; mttrMs: Mttr | null }[];
}

export const COMPONENTS = ['compute', 'network', 'storage', 'database', 'security'] as const;
export interface HealthScore {
  readonly score: number;
  readonly components: Record<(typeof COMPONENTS)[number], number>;
  readonly series: { at: number; score: number }[];
}

export interface Series { readonly name: string; readonly points: { at: number; value: number }[] }

export interface Settings {
  readonly autoRemediation: boolean;
  readonly mode: 'active' | 'shadow';
  readonly rateLimits?: { globalPerMinute: number; globalPerHour: number; perTargetPerHour: number };
  readonly cooldownMs?: number;
  readonly ruleThresholds?: Record<string, { severity: Severity; threshold: number | null }[]>;
}

export interface RuleView {
  readonly name: string;
  readonly source: 'file' | 'api';
  readonly description?: string;
  readonly bands: { severity: Severity; condition?: string; threshold?: number | null }[];
  readonly for?: number | string | null;
  readonly cooldownMs?: number | null;
  readonly runbooks?: string[];
  readonly current: { target: string; value: number | null; holding: boolean; severity: Severity | null; phase?: 'ok' | 'pending' | 'firing' }[];
}

export interface RunbookView {
  readonly name: string;
  readonly description?: string;
  readonly risk?: string;
  readonly approval?: unknown;
  readonly match?: unknown;
  readonly strategies: { name: string; steps: { name: string; action: string }[] }[];
  readonly valid: boolean;
  readonly file?: string;
}

export interface Breaker {
  readonly key: string;
  readonly runbook: string;
  readonly target: string;
  readonly state: 'open' | 'closed';
  readonly failures: number[];
  readonly openedAt: number | null;
}

export interface SilenceMatcher { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }
export interface Silence {
  readonly id: string;
  readonly matchers: SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly state: 'active' | 'pending' | 'expired';
}

export interface PlanPreview {
  readonly runbook: string;
  readonly target: string;
  readonly verdict: { kind: string; reason: string };
  readonly impact?: unknown;
  readonly rollbackPlan?: unknown;
  readonly risk?: string;
  readonly steps?: unknown[];
  readonly dryRun?: unknown;
}
