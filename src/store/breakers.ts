import type { Kysely, Selectable } from 'kysely';
import { fromJsonText, toJsonText } from './codec.js';
import type { BreakersTable, DB } from './schema.js';
import type { BreakerRecord, Store } from './types.js';

/** Circuit breakers per runbook + target, persisted so a restart cannot silently close one. */
export function createBreakerStore(db: Kysely<DB>): Store['breakers'] {
  return {
    async get(key) {
      const row = await db.selectFrom('breakers').selectAll().where('key', '=', key).executeTakeFirst();
      return row && toRecord(row);
    },

    async put(record) {
      const row = { key: record.key, state: record.state, failures: toJsonText(record.failures), opened_at: record.openedAt, reason: record.reason };
      await db
        .insertInto('breakers')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ state: row.state, failures: row.failures, opened_at: row.opened_at, reason: row.reason }))
        .execute();
    },

    async list() {
      const rows = await db.selectFrom('breakers').selectAll().orderBy('key').execute();
      return rows.map(toRecord);
    },
  };
}

function toRecord(r: Selectable<BreakersTable>): BreakerRecord {
  return { key: r.key, state: r.state, failures: fromJsonText<number[]>(r.failures), openedAt: r.opened_at, reason: r.reason };
}
