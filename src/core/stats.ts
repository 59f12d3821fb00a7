import { quantile } from './window.js';

/**
 * Remediation statistics over a window, from stored executions and the
 * incidents they resolved. Pure: the engine reads the store and passes rows.
 *
 * - executed: executions that started (dry runs, shadowed, rejected and
 *   cancelled ones never ran);
 * - successRate: succeeded / (succeeded + failed + rolled back), null with
 *   no finished execution;
 * - time to recover: from an incident's opening to its resolution by a
 *   succeeded execution; median and p90 (linear interpolation), null with none.
 */
export interface ExecutionRow {
  readonly runbook: string;
  readonly status: string;
  readonly startedAt: number | null;
}

export interface RecoveryRow {
  readonly runbook: string;
  readonly ttrMs: number;
}

export interface Outcomes {
  readonly executed: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly rolledBack: number;
  readonly successRate: number | null;
  readonly mttrMs: { readonly median: number; readonly p90: number } | null;
}

export function outcomes(executions: readonly ExecutionRow[], recoveries: readonly RecoveryRow[]): Outcomes {
  const ran = executions.filter((e) => e.startedAt !== null || e.status === 'succeeded' || e.status === 'failed' || e.status === 'rolled_back');
  const count = (s: string) => ran.filter((e) => e.status === s).length;
  const succeeded = count('succeeded');
  const failed = count('failed');
  const rolledBack = count('rolled_back');
  const finished = succeeded + failed + rolledBack;
  return {
    executed: ran.length, succeeded, failed, rolledBack,
    successRate: finished === 0 ? null : succeeded / finished,
    mttrMs: percentiles(recoveries.map((r) => r.ttrMs)),
  };
}

export function percentiles(values: readonly number[]): { median: number; p90: number } | null {
  if (values.length === 0) return null;
  return { median: quantile(values, 0.5)!, p90: quantile(values, 0.9)! };
}

/** Per runbook, in name order. */
export function perRunbook(executions: readonly ExecutionRow[], recoveries: readonly RecoveryRow[]): (Outcomes & { readonly runbook: string })[] {
  const names = [...new Set([...executions.map((e) => e.runbook), ...recoveries.map((r) => r.runbook)])].sort();
  return names.map((runbook) => ({
    runbook, ...outcomes(executions.filter((e) => e.runbook === runbook), recoveries.filter((r) => r.runbook === runbook)),
  }));
}
