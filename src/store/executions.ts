import type { Expression, ExpressionBuilder, Insertable, Kysely, Selectable, SqlBool, Updateable } from 'kysely';
import { moveExecution, type ExecutionPatch } from '../core/execution.js';
import type { Execution, StepRecord } from '../core/records.js';
import { fromIntBool, fromJsonText, matchesNothing, pageWindow, toCount, toIntBool, toJsonText } from './codec.js';
import { RecordNotFoundError } from './errors.js';
import type { DB, ExecutionStepsTable, ExecutionsTable } from './schema.js';
import type { ExecutionFilter, Page, Store } from './types.js';

export function createExecutionStore(db: Kysely<DB>): Store['executions'] {
  return {
    async insert(execution) {
      await db.insertInto('executions').values(toRow(execution)).execute();
    },

    async update(id, patch) {
      // The type forbids it; this stops a cast: a status moves only through move() and the core's table.
      if ('status' in patch) throw new TypeError(`executions.update(${id}): a status moves only through executions.move`);
      const row = patchToRow(patch);
      if (Object.keys(row).length === 0) {
        const found = await db.selectFrom('executions').select('id').where('id', '=', id).executeTakeFirst();
        if (!found) throw new RecordNotFoundError('executions', id);
        return;
      }
      const res = await db.updateTable('executions').set(row).where('id', '=', id).executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw new RecordNotFoundError('executions', id);
    },

    async move(execution, to, patch = {}) {
      const { next, from } = moveExecution(execution, to, patch);
      const row = { ...patchToRow(patch), status: to };
      const res = await db.updateTable('executions').set(row).where('id', '=', execution.id).where('status', '=', from).executeTakeFirst();
      return res.numUpdatedRows > 0n ? next : null;
    },

    async get(id) {
      const row = await db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toExecution(row);
    },

    async list(filter: ExecutionFilter = {}): Promise<Page<Execution>> {
      const where = executionWhere(filter);
      const page = pageWindow(filter.limit, filter.offset);
      const order = filter.order ?? 'desc';
      let query = db
        .selectFrom('executions')
        .selectAll()
        .where(where)
        .orderBy('created_at', order)
        .orderBy('id', order);
      if (page.limit !== undefined) query = query.limit(page.limit);
      if (page.offset !== undefined) query = query.offset(page.offset);
      const [rows, count] = await Promise.all([
        query.execute(),
        db.selectFrom('executions').select((eb) => eb.fn.countAll().as('n')).where(where).executeTakeFirst(),
      ]);
      return { items: rows.map(toExecution), total: toCount(count?.n) };
    },

    async putStep(step) {
      const row = toStepRow(step);
      // Upsert: the executor records a step when it starts and again when it
      // ends, and after a crash it may record the same step again.
      const { execution_id: _e, seq: _s, ...changes } = row;
      await db
        .insertInto('execution_steps')
        .values(row)
        .onConflict((oc) => oc.columns(['execution_id', 'seq']).doUpdateSet(changes))
        .execute();
    },

    async steps(executionId) {
      const rows = await db
        .selectFrom('execution_steps')
        .selectAll()
        .where('execution_id', '=', executionId)
        .orderBy('seq', 'asc')
        .execute();
      return rows.map(toStep);
    },
  };
}

function executionWhere(f: ExecutionFilter) {
  return (eb: ExpressionBuilder<DB, 'executions'>): Expression<SqlBool> => {
    const all: Expression<SqlBool>[] = [];
    if (f.status) all.push(f.status.length ? eb('status', 'in', f.status) : matchesNothing());
    if (f.incidentId !== undefined) all.push(eb('incident_id', '=', f.incidentId));
    if (f.runbook !== undefined) all.push(eb('runbook', '=', f.runbook));
    if (f.target !== undefined) all.push(eb('target', '=', f.target));
    if (f.since !== undefined) all.push(eb('created_at', '>=', f.since));
    if (f.until !== undefined) all.push(eb('created_at', '<', f.until));
    return eb.and(all);
  };
}

function toRow(e: Execution): ExecutionsTable {
  return {
    id: e.id,
    incident_id: e.incidentId,
    runbook: e.runbook,
    target: e.target,
    severity: e.severity,
    status: e.status,
    strategy: e.strategy,
    reason: e.reason,
    requested_by: e.requestedBy,
    approved_by: e.approvedBy,
    dry_run: toIntBool(e.dryRun),
    created_at: e.createdAt,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    error: e.error,
    plan: toJsonText(e.plan),
    shadow_repeats: e.shadowRepeats ?? 0,
  };
}

function patchToRow(p: ExecutionPatch): Updateable<ExecutionsTable> {
  const row: Updateable<ExecutionsTable> = {};
  if (p.incidentId !== undefined) row.incident_id = p.incidentId;
  if (p.runbook !== undefined) row.runbook = p.runbook;
  if (p.target !== undefined) row.target = p.target;
  if (p.severity !== undefined) row.severity = p.severity;
  if (p.strategy !== undefined) row.strategy = p.strategy;
  if (p.reason !== undefined) row.reason = p.reason;
  if (p.requestedBy !== undefined) row.requested_by = p.requestedBy;
  if (p.approvedBy !== undefined) row.approved_by = p.approvedBy;
  if (p.dryRun !== undefined) row.dry_run = toIntBool(p.dryRun);
  if (p.createdAt !== undefined) row.created_at = p.createdAt;
  if (p.startedAt !== undefined) row.started_at = p.startedAt;
  if (p.finishedAt !== undefined) row.finished_at = p.finishedAt;
  if (p.error !== undefined) row.error = p.error;
  if (p.plan !== undefined) row.plan = toJsonText(p.plan);
  if (p.shadowRepeats !== undefined) row.shadow_repeats = p.shadowRepeats;
  return row;
}

function toExecution(r: Selectable<ExecutionsTable>): Execution {
  return {
    id: r.id,
    incidentId: r.incident_id,
    runbook: r.runbook,
    target: r.target,
    severity: r.severity,
    status: r.status,
    strategy: r.strategy,
    reason: r.reason,
    requestedBy: r.requested_by,
    approvedBy: r.approved_by,
    dryRun: fromIntBool(r.dry_run),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    plan: fromJsonText<Record<string, unknown>>(r.plan),
    // Only shadowed executions count repeats: the others read as they always did.
    ...(r.shadow_repeats > 0 ? { shadowRepeats: r.shadow_repeats } : {}),
  };
}

function toStepRow(s: StepRecord): Insertable<ExecutionStepsTable> {
  return {
    execution_id: s.executionId,
    seq: s.seq,
    strategy: s.strategy,
    step_index: s.index,
    phase: s.phase,
    name: s.name,
    action: s.action,
    params: toJsonText(s.params),
    status: s.status,
    attempts: s.attempts,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
    output: s.output,
    error: s.error,
    // NULL means "the action returned nothing", so undefined survives the
    // round trip; a returned null is stored as the JSON text 'null'.
    rollback_state: s.rollbackState === undefined ? null : toJsonText(s.rollbackState),
  };
}

function toStep(r: Selectable<ExecutionStepsTable>): StepRecord {
  return {
    executionId: r.execution_id,
    seq: r.seq,
    strategy: r.strategy,
    index: r.step_index,
    phase: r.phase,
    name: r.name,
    action: r.action,
    params: fromJsonText<Record<string, unknown>>(r.params),
    status: r.status,
    attempts: r.attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    output: r.output,
    error: r.error,
    rollbackState: r.rollback_state === null ? undefined : fromJsonText<unknown>(r.rollback_state),
  };
}
