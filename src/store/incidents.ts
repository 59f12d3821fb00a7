import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool, Updateable } from 'kysely';
import { moveIncident, type IncidentPatch } from '../core/incident.js';
import type { Incident, IncidentStatus, TimelineEntry } from '../core/records.js';
import { fromIntBool, fromJsonText, matchesNothing, pageWindow, toCount, toIntBool, toJsonText } from './codec.js';
import { RecordNotFoundError } from './errors.js';
import type { DB, IncidentTimelineTable, IncidentsTable } from './schema.js';
import type { IncidentFilter, Page, Store } from './types.js';

/** The port's definition of "active": everything but these may still be acted on. */
const INACTIVE: readonly IncidentStatus[] = ['resolved', 'failed'];

export function createIncidentStore(db: Kysely<DB>): Store['incidents'] {
  return {
    async insert(incident) {
      await db.insertInto('incidents').values(toRow(incident)).execute();
    },

    async update(id, patch) {
      // The type forbids it; this stops a cast: a status moves only through move() and the core's table.
      if ('status' in patch) throw new TypeError(`incidents.update(${id}): a status moves only through incidents.move`);
      const row = patchToRow(patch);
      if (Object.keys(row).length === 0) {
        if (!(await exists(db, id))) throw new RecordNotFoundError('incidents', id);
        return;
      }
      const res = await db.updateTable('incidents').set(row).where('id', '=', id).executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw new RecordNotFoundError('incidents', id);
    },

    async move(incident, to, at) {
      const patch = moveIncident(incident, to, at);
      const res = await db.updateTable('incidents')
        .set({ status: patch.status, updated_at: patch.updatedAt, resolved_at: patch.resolvedAt })
        .where('id', '=', incident.id).where('status', '=', incident.status).executeTakeFirst();
      return res.numUpdatedRows > 0n ? { ...incident, ...patch } : null;
    },

    async get(id) {
      const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toIncident(row);
    },

    async findActive(fingerprint) {
      const row = await db
        .selectFrom('incidents')
        .selectAll()
        .where('fingerprint', '=', fingerprint)
        .where('status', 'not in', INACTIVE)
        // At most one should be active; if a bug ever left two, the newest is
        // the one that new signals belong to.
        .orderBy('opened_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toIncident(row);
    },

    async list(filter: IncidentFilter = {}): Promise<Page<Incident>> {
      const where = incidentWhere(filter);
      const page = pageWindow(filter.limit, filter.offset);
      const order = filter.order ?? 'desc';
      let query = db
        .selectFrom('incidents')
        .selectAll()
        .where(where)
        // id breaks ties so that pages never repeat or skip a row.
        .orderBy('opened_at', order)
        .orderBy('id', order);
      if (page.limit !== undefined) query = query.limit(page.limit);
      if (page.offset !== undefined) query = query.offset(page.offset);
      const [rows, count] = await Promise.all([
        query.execute(),
        db.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).where(where).executeTakeFirst(),
      ]);
      return { items: rows.map(toIncident), total: toCount(count?.n) };
    },

    async appendTimeline(entry) {
      await db
        .insertInto('incident_timeline')
        .values({
          incident_id: entry.incidentId,
          at: entry.at,
          kind: entry.kind,
          message: entry.message,
          data: entry.data === null ? null : toJsonText(entry.data),
        })
        .execute();
    },

    async timeline(incidentId) {
      const rows = await db
        .selectFrom('incident_timeline')
        .selectAll()
        .where('incident_id', '=', incidentId)
        // Insertion order breaks ties between entries stamped the same ms.
        .orderBy('at', 'asc')
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toTimelineEntry);
    },
  };
}

async function exists(db: Kysely<DB>, id: string): Promise<boolean> {
  const row = await db.selectFrom('incidents').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

function incidentWhere(f: IncidentFilter) {
  return (eb: ExpressionBuilder<DB, 'incidents'>): Expression<SqlBool> => {
    const all: Expression<SqlBool>[] = [];
    if (f.status) all.push(f.status.length ? eb('status', 'in', f.status) : matchesNothing());
    if (f.severity) all.push(f.severity.length ? eb('severity', 'in', f.severity) : matchesNothing());
    if (f.rule !== undefined) all.push(eb('rule', '=', f.rule));
    if (f.target !== undefined) all.push(eb('target', '=', f.target));
    if (f.since !== undefined) all.push(eb('opened_at', '>=', f.since));
    if (f.until !== undefined) all.push(eb('opened_at', '<', f.until));
    return eb.and(all);
  };
}

function toRow(i: Incident): IncidentsTable {
  return {
    id: i.id,
    fingerprint: i.fingerprint,
    rule: i.rule,
    target: i.target,
    severity: i.severity,
    status: i.status,
    title: i.title,
    labels: toJsonText(i.labels),
    value: i.value,
    source: i.source,
    opened_at: i.openedAt,
    updated_at: i.updatedAt,
    resolved_at: i.resolvedAt,
    silenced: toIntBool(i.silenced),
  };
}

/** Only the fields present in the patch: a partial update never rewrites what it did not mean to. */
function patchToRow(p: IncidentPatch): Updateable<IncidentsTable> {
  const row: Updateable<IncidentsTable> = {};
  if (p.rule !== undefined) row.rule = p.rule;
  if (p.target !== undefined) row.target = p.target;
  if (p.severity !== undefined) row.severity = p.severity;
  if (p.title !== undefined) row.title = p.title;
  if (p.labels !== undefined) row.labels = toJsonText(p.labels);
  if (p.value !== undefined) row.value = p.value;
  if (p.source !== undefined) row.source = p.source;
  if (p.openedAt !== undefined) row.opened_at = p.openedAt;
  if (p.updatedAt !== undefined) row.updated_at = p.updatedAt;
  if (p.resolvedAt !== undefined) row.resolved_at = p.resolvedAt;
  if (p.silenced !== undefined) row.silenced = toIntBool(p.silenced);
  return row;
}

function toIncident(r: Selectable<IncidentsTable>): Incident {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    rule: r.rule,
    target: r.target,
    severity: r.severity,
    status: r.status,
    title: r.title,
    labels: fromJsonText<Record<string, string>>(r.labels),
    value: r.value,
    source: r.source,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
    silenced: fromIntBool(r.silenced),
  };
}

function toTimelineEntry(r: Selectable<IncidentTimelineTable>): TimelineEntry {
  return {
    id: r.id,
    incidentId: r.incident_id,
    at: r.at,
    kind: r.kind,
    message: r.message,
    data: r.data === null ? null : fromJsonText<Record<string, unknown>>(r.data),
  };
}
