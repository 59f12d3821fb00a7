import type { Kysely, Selectable } from 'kysely';
import type { Silence, SilenceMatcher } from '../core/silence.js';
import { fromJsonText, toJsonText } from './codec.js';
import { RecordNotFoundError } from './errors.js';
import type { DB, RuntimeRulesTable, SilencesTable } from './schema.js';
import type { Store } from './types.js';

/** Silences: expiring one moves its end to now, so the record of what was silenced stays. */
export function createSilenceStore(db: Kysely<DB>): Store['silences'] {
  return {
    async insert(s) {
      await db.insertInto('silences').values({
        id: s.id, matchers: toJsonText(s.matchers), starts_at: s.startsAt, ends_at: s.endsAt,
        created_by: s.createdBy, comment: s.comment, created_at: s.createdAt,
      }).execute();
    },

    async get(id) {
      const row = await db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSilence(row);
    },

    async list(endsAfter) {
      let q = db.selectFrom('silences').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
      if (endsAfter !== undefined) q = q.where('ends_at', '>=', endsAfter);
      return (await q.execute()).map(toSilence);
    },

    async setEndsAt(id, endsAt) {
      const res = await db.updateTable('silences').set({ ends_at: endsAt }).where('id', '=', id).executeTakeFirst();
      if (res.numUpdatedRows === 0n) throw new RecordNotFoundError('silences', id);
    },
  };
}

function toSilence(r: Selectable<SilencesTable>): Silence {
  return {
    id: r.id, matchers: fromJsonText<SilenceMatcher[]>(r.matchers), startsAt: Number(r.starts_at), endsAt: Number(r.ends_at),
    createdBy: r.created_by, comment: r.comment, createdAt: Number(r.created_at),
  };
}

/** Rules created through the API, by name. */
export function createRuntimeRuleStore(db: Kysely<DB>): Store['runtimeRules'] {
  return {
    async put(rule) {
      const row = { name: rule.name, spec: toJsonText(rule.spec), created_by: rule.createdBy, created_at: rule.createdAt, updated_at: rule.updatedAt };
      await db.insertInto('runtime_rules').values(row)
        .onConflict((oc) => oc.column('name').doUpdateSet({ spec: row.spec, updated_at: row.updated_at }))
        .execute();
    },

    async delete(name) {
      const res = await db.deleteFrom('runtime_rules').where('name', '=', name).executeTakeFirst();
      return res.numDeletedRows > 0n;
    },

    async list() {
      const rows = await db.selectFrom('runtime_rules').selectAll().orderBy('name').execute();
      return rows.map((r: Selectable<RuntimeRulesTable>) => ({
        name: r.name, spec: fromJsonText<Record<string, unknown>>(r.spec), createdBy: r.created_by,
        createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
      }));
    },
  };
}
