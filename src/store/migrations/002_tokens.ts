import type { Kysely, Migration } from 'kysely';

/**
 * API tokens (issue 3). Only the SHA-256 of a token's secret is kept: a copy
 * of the database lets nobody call the API. Revoked tokens stay, so the audit
 * log's actors keep a name to point at.
 */
export function tokens(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
    },
  };
}
