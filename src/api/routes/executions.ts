import { z } from 'zod';
import { EXECUTION_STATUSES } from '../../core/records.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { defineRoute, type Route } from '../route.js';
import { csvOf, execution, id, idParam, name, page, pageQuery, severity, step, stepView, text, verdict } from '../schemas.js';

const listQuery = z.strictObject({
  ...pageQuery,
  status: csvOf(EXECUTION_STATUSES).optional(),
  runbook: text(200).optional(),
  target: text(200).optional(),
  incident: id.optional(),
});

const runBody = z.strictObject({
  runbook: name,
  target: name,
  reason: z.string().min(1).max(2000),
  dry_run: z.boolean().default(false),
  incident: id.optional(),
  severity: severity.optional().meta({ description: 'default: the incident\'s, else P3' }),
});

const approveBody = z.strictObject({ comment: text(2000).optional() });
const rejectBody = z.strictObject({ reason: z.string().min(1).max(2000) });
const rollbackBody = z.strictObject({ reason: z.string().min(1).max(2000) });
const resumeBody = z.strictObject({
  assume_done: z.boolean().default(false).meta({ description: 'the step in doubt did happen (a person checked): do not run it again' }),
  comment: text(2000).optional(),
});
const abandonBody = z.strictObject({ reason: z.string().min(1).max(2000) });

export function executionRoutes({ engine }: ApiDeps): Route[] {
  return [
    defineRoute({
      method: 'GET', url: '/api/v1/executions', tag: 'executions', auth: 'viewer',
      summary: 'List executions with filters and pagination',
      query: listQuery, response: page(execution),
      handler: async ({ query: q }) => {
        const p = await engine.listExecutions({ ...q, ...(q.incident ? { incidentId: q.incident } : {}) });
        return { items: p.items, total: p.total, limit: q.limit, offset: q.offset };
      },
    }),
    defineRoute({
      method: 'GET', url: '/api/v1/executions/:id', tag: 'executions', auth: 'viewer',
      summary: 'One execution with every step, its output and timing',
      params: idParam, response: execution.extend({ steps: z.array(step) }),
      handler: async ({ params: { id: eid } }) => {
        const found = await engine.getExecution(eid);
        if (!found) throw new ApiError('not_found', `no execution ${eid}`);
        return { ...found, steps: (await engine.executionSteps(eid)).map(stepView) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions', tag: 'executions', auth: 'operator', status: 201,
      summary: 'Run a runbook on a target by hand (or dry-run it)',
      description: 'The policy decides as for any execution: P0/P1 (or a runbook that needs approval) waits for an admin.',
      body: runBody, response: z.object({ verdict, execution: execution.nullable() }),
      handler: async ({ body, actor }) => engine.runManual({
        runbook: body.runbook, target: body.target, reason: body.reason, dryRun: body.dry_run,
        ...(body.incident ? { incidentId: body.incident } : {}), ...(body.severity ? { severity: body.severity } : {}),
      }, actor),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions/:id/approve', tag: 'approvals', auth: 'admin',
      summary: 'Approve an execution that waits for a person; it runs',
      params: idParam, body: approveBody, response: execution,
      handler: async ({ params, body, actor }) => engine.approve(params.id, actor, body.comment ?? null),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions/:id/reject', tag: 'approvals', auth: 'admin',
      summary: 'Reject an execution that waits for a person',
      params: idParam, body: rejectBody, response: execution,
      handler: async ({ params, body, actor }) => engine.reject(params.id, actor, body.reason),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions/:id/rollback', tag: 'executions', auth: 'admin',
      summary: 'Roll back a finished execution: undo its steps in reverse',
      params: idParam, body: rollbackBody, response: execution,
      handler: async ({ params, body, actor }) => engine.rollbackExecution(params.id, actor, body.reason),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions/:id/resume', tag: 'executions', auth: 'admin',
      summary: 'Resume an execution held after a crash: the step in doubt runs again, or counts as done',
      params: idParam, body: resumeBody, response: execution,
      handler: async ({ params, body, actor }) => engine.resume(params.id, actor, { assumeDone: body.assume_done, comment: body.comment ?? null }),
    }),
    defineRoute({
      method: 'POST', url: '/api/v1/executions/:id/abandon', tag: 'executions', auth: 'admin',
      summary: 'Abandon an execution held after a crash; nothing more runs',
      params: idParam, body: abandonBody, response: execution,
      handler: async ({ params, body, actor }) => engine.abandon(params.id, actor, body.reason),
    }),
  ];
}
