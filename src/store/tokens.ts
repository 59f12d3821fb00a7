import type { Kysely, Selectable } from 'kysely';
import { toCount } from './codec.js';
import type { ApiTokensTable, DB } from './schema.js';
import type { Store, TokenRecord } from './types.js';

/** API tokens by the hash of their secret (src/api/tokens.ts makes and checks them). */
export function createTokenStore(db: Kysely<DB>): Store['tokens'] {
  return {
    async insert(t) {
      await db.insertInto('api_tokens').values({
        id: t.id, name: t.name, role: t.role, hash: t.hash, created_at: t.createdAt, created_by: t.createdBy,
        expires_at: t.expiresAt, revoked_at: t.revokedAt,
      }).execute();
    },

    async findByHash(hash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row && toRecord(row);
    },

    async get(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toRecord);
    },

    async count() {
      const row = await db.selectFrom('api_tokens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      return toCount(row?.n as string | number | bigint | undefined);
    },

    async revoke(id, at) {
      const res = await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
  };
}

function toRecord(r: Selectable<ApiTokensTable>): TokenRecord {
  return {
    id: r.id, name: r.name, role: r.role, hash: r.hash, createdAt: Number(r.created_at), createdBy: r.created_by,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}
