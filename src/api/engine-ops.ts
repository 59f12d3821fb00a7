import type { Verdict } from '../core/policy.js';
import type { Execution } from '../core/records.js';
import type { Severity } from '../core/severity.js';

/**
 * The engine operations the API calls beyond the store (api-contract.md,
 * "Engine-side operations"). Views are shaped by the engine; the API only
 * validates what comes in, so most results are opaque objects here. Keeping
 * this interface narrow lets src/api typecheck against any engine that has
 * these methods (the Engine does: server.ts passes it as EngineOps), and
 * lets tests hand the API a fake.
 */
export type SilenceOp = '=' | '!=' | '=~' | '!~';
export interface SilenceMatcher { readonly label: string; readonly op: SilenceOp; readonly value: string }

export type PlanRequest = { readonly incidentId: string } | { readonly runbook: string; readonly target: string; readonly severity?: Severity };

export interface ManualRunRequest {
  readonly runbook: string;
  readonly target: string;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly incidentId?: string;
  readonly severity?: Severity;
}

export interface EngineOps {
  problems(): readonly object[];
  incidentStats(range: { since?: number; until?: number }): Promise<object>;
  stats(window: '24h' | '7d' | '30d'): Promise<object>;
  healthScore(): Promise<object>;
  signalsAround(incidentId: string, beforeMs: number, afterMs: number): Promise<object>;
  previewPlan(req: PlanRequest, actor: string): Promise<object>;
  runManual(req: ManualRunRequest, actor: string): Promise<{ verdict: Verdict; execution: Execution | null }>;
  rollbackExecution(id: string, actor: string, reason: string): Promise<Execution>;
  approvals(): Promise<readonly object[]>;
  settingsView(): object;
  changeSettings(patch: Record<string, unknown>, actor: string): Promise<object>;
  ruleList(): readonly object[];
  createRule(spec: unknown, actor: string): Promise<object>;
  updateRule(name: string, spec: unknown, actor: string): Promise<object>;
  deleteRule(name: string, actor: string): Promise<unknown>;
  testRules(values: Record<string, Record<string, number>>): readonly object[];
  runbookList(): readonly object[];
  runbook(name: string): object | undefined;
  validateRunbook(text: string): { valid: boolean; errors: readonly object[] };
  breakerList(): readonly object[] | Promise<readonly object[]>;
  resetBreaker(key: string, actor: string): Promise<object>;
  readonly silences: {
    create(input: { matchers: SilenceMatcher[]; startsAt?: number; endsAt: number; comment: string }, actor: string): Promise<object>;
    list(): Promise<readonly object[]>;
    expire(id: string, actor: string): Promise<object>;
  };
}
