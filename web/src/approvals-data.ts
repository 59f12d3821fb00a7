import { ApiError } from './api';
import type { Approval, Execution, Page } from './types';
import { useApi, type Loaded } from './use-api';

/**
 * The approval queue. GET /approvals gives each waiting execution with its
 * deadline and why it waits; an engine without it still has the executions
 * list, so the queue shows from there (no deadline known).
 */
export function useApprovals(): Loaded<{ items: Approval[] }> & { degraded: boolean } {
  const primary = useApi<{ items: Approval[] }>('/approvals', ['approval', 'execution']);
  const fallback = useApi<Page<Execution>>(primary.error?.notAvailable ? '/executions?status=awaiting_approval&limit=100&order=asc' : null, ['approval', 'execution']);
  if (!primary.error?.notAvailable) return { ...primary, degraded: false };
  const data = fallback.data && { items: fallback.data.items.map((e): Approval => ({ ...e, deadline: null, needsApprovalBecause: e.reason })) };
  return { data, error: fallback.error as ApiError | null, loading: fallback.loading, reload: fallback.reload, degraded: true };
}
