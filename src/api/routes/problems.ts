import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type Route } from '../route.js';
import { execution, id, items, loose, severity } from '../schemas.js';

const planBody = z.union([
  z.strictObject({ incident: id }),
  z.strictObject({ runbook: z.string().min(1).max(128), target: z.string().min(1).max(128), severity: severity.optional() }),
]).meta({ description: '{incident} or {runbook, target[, severity]}' });

/** What holds now, what waits for a person, and what a fix would do. */
export function problemRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/problems', tag: 'problems', auth: 'viewer',
      summary: 'Problems holding now',
      response: items(loose({
        rule: z.string(), target: z.string(), labels: z.record(z.string(), z.string()).meta({ description: '{replica} when it holds on one replica' }),
        severity, since: z.number(), value: z.number().nullable(), explain: z.string(),
      })),
      handler: async () => ({ items: engine.problems() }),
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/approvals', tag: 'approvals', auth: 'viewer',
      summary: 'Executions waiting for approval, each with its plan',
      response: items(execution.extend({ deadline: z.number().nullable(), needsApprovalBecause: z.string() })),
      handler: async () => ({ items: await engine.approvals() }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/plans', tag: 'executions', auth: 'operator',
      summary: 'Propose a fix (runbook, verdict, impact, rollback plan, dry-run output); changes nothing',
      body: planBody,
      response: loose({ runbook: z.string(), target: z.string(), verdict: z.object({ kind: z.string(), reason: z.string() }).loose(), steps: z.array(z.unknown()) }),
      handler: async ({ body, actor }) => engine.previewPlan('incident' in body ? { incidentId: body.incident } : body, actor),
    }),
  ];
}
