import { z } from 'zod';
import { EXECUTION_STATUSES, INCIDENT_STATUSES, STEP_PHASES, STEP_STATUSES, type StepRecord } from '../core/records.js';
import { SEVERITIES } from '../core/severity.js';
import { ROLES } from './auth.js';

/**
 * Shared pieces of the routes' schemas: query pieces (lists, pagination) and
 * the records of src/core/records.ts as the API shows them.
 */

/** Comma-separated lists in query strings: `?status=open,remediating`. */
export function csvOf<T extends readonly [string, ...string[]]>(values: T) {
  return z.string().max(500).transform((s) => s.split(',').filter(Boolean)).pipe(z.array(z.enum(values)))
    .meta({ description: `comma-separated, any of ${values.join(', ')}` });
}

const epochMs = z.coerce.number().int().min(0).max(8.64e15);

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  order: z.enum(['asc', 'desc']).default('desc'),
  since: epochMs.optional().meta({ description: 'epoch ms, inclusive' }),
  until: epochMs.optional().meta({ description: 'epoch ms, exclusive' }),
};

export const severityList = csvOf(SEVERITIES);
export const text = (max: number) => z.string().max(max);

const ID = /^[a-z]{3}_[a-z0-9]{6,40}$/;
export const id = z.string().regex(ID, 'not an id (like inc_0mhx3k2a9f1c2d)');
export const idParam = z.strictObject({ id });
/** Rule and runbook names. */
export const name = z.string().min(1).max(128).regex(/^[A-Za-z0-9][\w.-]*$/, 'not a name (letters, digits, _ . -)');
export const nameParam = z.strictObject({ name });

export const severity = z.enum(SEVERITIES);
export const role = z.enum(ROLES);

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}

export function items<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}

const labels = z.record(z.string(), z.string());
const nullableMs = z.number().nullable();

export const incident = z.object({
  id: z.string(), fingerprint: z.string(), rule: z.string(), target: z.string(), severity,
  status: z.enum(INCIDENT_STATUSES), title: z.string(), labels, value: z.number().nullable(),
  source: z.enum(['rule', 'alert', 'manual']), openedAt: z.number(), updatedAt: z.number(), resolvedAt: nullableMs, silenced: z.boolean(),
});

export const timelineEntry = z.object({
  id: z.number(), incidentId: z.string(), at: z.number(), kind: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).nullable(),
});

export const execution = z.object({
  id: z.string(), incidentId: z.string().nullable(), runbook: z.string(), target: z.string(), severity,
  status: z.enum(EXECUTION_STATUSES), strategy: z.number().int(), reason: z.string(), requestedBy: z.string(),
  approvedBy: z.string().nullable(), dryRun: z.boolean(), createdAt: z.number(), startedAt: nullableMs, finishedAt: nullableMs,
  error: z.string().nullable(), plan: z.record(z.string(), z.unknown()),
  shadowRepeats: z.number().int().optional().meta({ description: 'shadowed: how often the engine would have run it again while the problem held' }),
});

export const step = z.object({
  executionId: z.string(), seq: z.number().int(), strategy: z.number().int(), index: z.number().int(), phase: z.enum(STEP_PHASES),
  name: z.string(), action: z.string(), params: z.record(z.string(), z.unknown()), status: z.enum(STEP_STATUSES),
  attempts: z.number().int(), startedAt: nullableMs, finishedAt: nullableMs, output: z.string().nullable(), error: z.string().nullable(),
  hasRollbackState: z.boolean().meta({ description: 'the step recorded how to undo itself (what it recorded is not shown)' }),
});

export type StepView = Omit<StepRecord, 'rollbackState'> & { readonly hasRollbackState: boolean };

/**
 * A step as the API and the live stream show it. The rollback state stays
 * inside the engine: it can hold what a step replaced (config.reconcile keeps
 * the whole previous file, base64, which no redaction would recognise).
 */
export function stepView(s: StepRecord): StepView {
  const { rollbackState, ...rest } = s;
  return { ...rest, hasRollbackState: rollbackState !== null && rollbackState !== undefined };
}

export const auditEntry = z.object({
  seq: z.number().int(), at: z.number(), actor: z.string(), kind: z.string(), subject: z.string(),
  details: z.record(z.string(), z.unknown()), result: z.string(), prevHash: z.string(), hash: z.string(),
});

export const verdict = z.object({ kind: z.string(), reason: z.string() }).loose();

export const tokenView = z.object({
  id: z.string(), name: z.string(), role: z.string(), createdAt: z.number(), createdBy: z.string(),
  expiresAt: nullableMs, revokedAt: nullableMs, state: z.enum(['active', 'expired', 'revoked']),
});

/** Views the engine shapes (api-contract.md): the fields the API promises, more may follow. */
export const loose = (shape: z.ZodRawShape) => z.object(shape).loose();
