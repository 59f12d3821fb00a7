import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** Every alert the intake accepted (src/intake), routed or not. */
export function alerts(dialect: StoreDialect): Migration {
  const identity = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    dialect.identityColumn === 'integer-autoincrement'
      ? col.primaryKey().autoIncrement()
      : col.primaryKey().generatedByDefaultAsIdentity();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('alerts')
        .addColumn('id', dialect.identityColumn === 'integer-autoincrement' ? 'integer' : 'bigint', identity)
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint')
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('annotations', 'text', (c) => c.notNull())
        .addColumn('rule', 'text')
        .addColumn('target', 'text')
        .addColumn('severity', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .execute();
      await db.schema.createIndex('alerts_received_at').on('alerts').column('received_at').execute();
      // "Unrouted alerts" is a list of its own in the API.
      await db.schema.createIndex('alerts_outcome_received_at').on('alerts').columns(['outcome', 'received_at']).execute();
      // Restoring what is firing after a restart reads the newest row per fingerprint.
      await db.schema.createIndex('alerts_fingerprint').on('alerts').columns(['fingerprint', 'id']).execute();
    },
  };
}
