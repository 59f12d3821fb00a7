import type { Kysely } from 'kysely';
import { fromJsonText, toJsonText } from './codec.js';
import type { DB } from './schema.js';
import type { Store } from './types.js';

/** Run-time settings (thresholds, kill switch, mode): one JSON value per key. */
export function createSettingsStore(db: Kysely<DB>): Store['settings'] {
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row && fromJsonText<T>(row.value);
    },

    async put(key, value, at) {
      const text = toJsonText(value);
      await db
        .insertInto('settings')
        .values({ key, value: text, updated_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: text, updated_at: at }))
        .execute();
    },

    async all() {
      const rows = await db.selectFrom('settings').select(['key', 'value']).orderBy('key').execute();
      const out: Record<string, unknown> = {};
      for (const r of rows) out[r.key] = fromJsonText<unknown>(r.value);
      return out;
    },
  };
}
