import type { Expression, ExpressionBuilder, Insertable, Kysely, Selectable, SqlBool } from 'kysely';
import type { AlertRecord } from '../core/records.js';
import { fromJsonText, pageWindow, toCount, toJsonText } from './codec.js';
import type { StoreDialect } from './dialect.js';
import type { AlertsTable, DB } from './schema.js';
import type { AlertFilter, Page, Store } from './types.js';

const COLUMNS_PER_ROW = 14;

export function createAlertStore(db: Kysely<DB>, dialect: StoreDialect): Store['alerts'] {
  const rowsPerStatement = Math.min(500, Math.floor(dialect.maxParameters / COLUMNS_PER_ROW));
  return {
    async append(records) {
      if (records.length === 0) return;
      const rows = records.map(toRow);
      // One statement is atomic by itself: no BEGIN/COMMIT round for a batch that fits in one.
      if (rows.length <= rowsPerStatement) {
        await db.insertInto('alerts').values(rows).execute();
        return;
      }
      // One transaction per batch: SQLite syncs its WAL once, not once per alert.
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += rowsPerStatement) {
          await trx.insertInto('alerts').values(rows.slice(i, i + rowsPerStatement)).execute();
        }
      });
    },

    async list(filter: AlertFilter = {}): Promise<Page<AlertRecord>> {
      const where = (eb: ExpressionBuilder<DB, 'alerts'>) => alertWhere(eb, filter);
      const page = pageWindow(filter.limit, filter.offset);
      const order = filter.order ?? 'desc';
      let query = db.selectFrom('alerts').selectAll().where(where).orderBy('id', order);
      if (page.limit !== undefined) query = query.limit(page.limit);
      if (page.offset !== undefined) query = query.offset(page.offset);
      const [rows, count] = await Promise.all([
        query.execute(),
        db.selectFrom('alerts').select((eb) => eb.fn.countAll<number>().as('n')).where(where).executeTakeFirst(),
      ]);
      return { items: rows.map(toRecord), total: toCount(count?.n) };
    },

    async latest(since) {
      const rows = await db
        .selectFrom('alerts')
        .selectAll()
        .where('id', 'in', (qb) => qb.selectFrom('alerts').select((eb) => eb.fn.max('id').as('id')).where('received_at', '>=', since).groupBy('fingerprint'))
        .orderBy('id', 'asc')
        .execute();
      return rows.map(toRecord);
    },

    async prune(olderThan) {
      const res = await db.deleteFrom('alerts').where('received_at', '<', olderThan).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}

function alertWhere(eb: ExpressionBuilder<DB, 'alerts'>, f: AlertFilter): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  if (f.outcome !== undefined) parts.push(f.outcome.length > 0 ? eb('outcome', 'in', f.outcome) : eb.val(false));
  if (f.source !== undefined) parts.push(eb('source', '=', f.source));
  if (f.rule !== undefined) parts.push(eb('rule', '=', f.rule));
  if (f.target !== undefined) parts.push(eb('target', '=', f.target));
  if (f.since !== undefined) parts.push(eb('received_at', '>=', f.since));
  if (f.until !== undefined) parts.push(eb('received_at', '<', f.until));
  return eb.and(parts);
}

function toRow(r: Omit<AlertRecord, 'id'>): Insertable<AlertsTable> {
  return {
    received_at: r.receivedAt, source: r.source, sender: r.sender, fingerprint: r.fingerprint, status: r.status,
    starts_at: r.startsAt, ends_at: r.endsAt, labels: toJsonText(r.labels), annotations: toJsonText(r.annotations),
    rule: r.rule, target: r.target, severity: r.severity, outcome: r.outcome, reason: r.reason,
  };
}

function toRecord(r: Selectable<AlertsTable>): AlertRecord {
  return {
    id: Number(r.id), receivedAt: Number(r.received_at), source: r.source, sender: r.sender, fingerprint: r.fingerprint,
    status: r.status, startsAt: Number(r.starts_at), endsAt: r.ends_at === null ? null : Number(r.ends_at),
    labels: fromJsonText(r.labels), annotations: fromJsonText(r.annotations),
    rule: r.rule, target: r.target, severity: r.severity, outcome: r.outcome, reason: r.reason,
  };
}
