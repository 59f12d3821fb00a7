import type { Kysely, Migration } from 'kysely';

/**
 * Signed audit (src/audit/signing.ts): a MAC per entry, null on entries
 * written before the store had a key, and the signed checkpoints of the head.
 */
export function auditSigning(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('audit_log').addColumn('mac', 'text').execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('mac', 'text', (c) => c.notNull())
        .execute();
    },
  };
}
