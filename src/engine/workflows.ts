import type { Clock } from '../core/clock.js';
import { BUSY_EXECUTION_STATUSES } from '../core/execution.js';
import type { CompiledConfig } from '../config/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { Store } from '../store/types.js';
import { ApprovalDeadlines } from '../remediation/approval-deadlines.js';
import type { EventBus } from '../core/events.js';
import { ExecutionControl } from '../remediation/execution-control.js';
import type { Incidents } from '../incidents/incidents.js';
import type { Remediator } from '../remediation/remediator.js';
import { Scheduler, type SchedulerDeps } from './scheduler.js';

export interface WorkflowParts {
  readonly config: CompiledConfig;
  readonly store: Store;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly incidents: Incidents;
  readonly remediator: Remediator;
  readonly runbooks: () => readonly CompiledRunbook[];
  readonly autoRemediation: () => boolean;
  readonly isSilenced: SchedulerDeps['isSilenced'];
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

export interface Workflows {
  readonly approvalDeadlines: ApprovalDeadlines;
  readonly scheduler: Scheduler;
  /** Resume or abandon executions held for a person. */
  readonly control: ExecutionControl;
}

/**
 * What runs beside the detect-and-fix loop (issue 6): approval deadlines,
 * schedules and a person's decision about a held execution, wired to the
 * remediator so that each goes through the same policy, claims and audit.
 */
export function wireWorkflows(p: WorkflowParts): Workflows {
  const { store, clock, events, incidents, audit, remediator } = p;
  return {
    approvalDeadlines: new ApprovalDeadlines({
      store, clock, events, incidents, audit,
      timeoutMs: () => p.config.policy.approvalTimeoutMs,
    }),
    scheduler: new Scheduler({
      clock, events, schedules: p.config.schedules, audit, runbooks: p.runbooks,
      autoRemediation: p.autoRemediation, isSilenced: p.isSilenced, state: store.settings,
      // A run is still going while its execution works, waits for a person, or is held.
      isActive: async (id) => {
        const e = await store.executions.get(id);
        return e !== undefined && [...BUSY_EXECUTION_STATUSES, 'awaiting_approval', 'held'].includes(e.status);
      },
      // Scheduled runs are automatic to the policy: breaker, cooldown and rate limits apply.
      request: async (runbook, s, reason) => {
        const r = await remediator.requestManual(runbook, s.target, { actor: `schedule:${s.name}`, dryRun: false, severity: s.severity, incident: null, reason, trigger: 'auto' });
        return { executionId: r.execution?.id ?? null, verdict: r.verdict.kind, reason: r.verdict.reason };
      },
    }),
    control: new ExecutionControl({
      store, clock, events, incidents, audit, runbooks: p.runbooks,
      start: (execution, runbook) => remediator.resumeHeld(execution, runbook),
      targets: {
        claimHeld: (execution) => remediator.claimHeld(execution),
        unclaimHeld: (execution) => remediator.unclaimHeld(execution),
        dropHeld: (execution) => remediator.dropHeld(execution),
      },
    }),
  };
}
