import type { Insertable, Kysely } from 'kysely';
import type { Signal } from '../core/signal.js';
import { fromJsonText, toJsonText } from './codec.js';
import type { StoreDialect } from './dialect.js';
import type { DB, SignalsTable } from './schema.js';
import type { Store } from './types.js';

const COLUMNS_PER_ROW = 6;

export function createSignalStore(db: Kysely<DB>, dialect: StoreDialect): Store['signals'] {
  // Multi-row inserts sized to the backend's parameter limit.
  const rowsPerStatement = Math.floor(dialect.maxParameters / COLUMNS_PER_ROW);

  return {
    async append(signals) {
      if (signals.length === 0) return;
      const rows = signals.map(toRow);
      // Probes append on every tick: one transaction per batch instead of one
      // per row keeps SQLite from syncing the WAL for every sample.
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += rowsPerStatement) {
          await trx.insertInto('signals').values(rows.slice(i, i + rowsPerStatement)).execute();
        }
      });
    },

    async query(target, name, since) {
      const rows = await db
        .selectFrom('signals')
        .selectAll()
        .where('target', '=', target)
        .where('name', '=', name)
        .where('at', '>=', since)
        .orderBy('at', 'asc')
        .execute();
      return rows.map((r): Signal => ({
        source: r.source,
        target: r.target,
        name: r.name,
        value: r.value,
        labels: fromJsonText<Record<string, string>>(r.labels),
        at: r.at,
      }));
    },

    async list(filter = {}) {
      let q = db.selectFrom('signals').selectAll().orderBy('at', 'asc');
      if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
      if (filter.until !== undefined) q = q.where('at', '<', filter.until);
      if (filter.target !== undefined) q = q.where('target', '=', filter.target);
      if (filter.limit !== undefined) q = q.limit(filter.limit);
      const rows = await q.execute();
      return rows.map((r): Signal => ({
        source: r.source, target: r.target, name: r.name, value: r.value, labels: fromJsonText<Record<string, string>>(r.labels), at: r.at,
      }));
    },

    async prune(olderThan) {
      const res = await db.deleteFrom('signals').where('at', '<', olderThan).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}

function toRow(s: Signal): Insertable<SignalsTable> {
  return { target: s.target, name: s.name, value: s.value, labels: toJsonText(s.labels), at: s.at, source: s.source };
}
