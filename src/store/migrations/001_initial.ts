import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/**
 * The first schema. Forward-only: a released migration is never edited;
 * changes go into a new numbered file. Portable DDL only (text, integer,
 * bigint for epoch ms, double precision); the one backend difference, the
 * auto-numbered id, comes from the dialect profile.
 */
export function initial(dialect: StoreDialect): Migration {
  const identity = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    dialect.identityColumn === 'integer-autoincrement'
      ? col.primaryKey().autoIncrement()
      : col.primaryKey().generatedByDefaultAsIdentity();
  const identityType = dialect.identityColumn === 'integer-autoincrement' ? 'integer' : 'bigint';

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('resolved_at', 'bigint')
        .addColumn('silenced', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Dedup looks up the active incident of a fingerprint on every problem.
      await db.schema.createIndex('incidents_fingerprint_status').on('incidents').columns(['fingerprint', 'status']).execute();
      await db.schema.createIndex('incidents_opened_at').on('incidents').column('opened_at').execute();

      await db.schema
        .createTable('incident_timeline')
        .addColumn('id', identityType, identity)
        .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('data', 'text')
        .execute();
      await db.schema.createIndex('incident_timeline_incident_at').on('incident_timeline').columns(['incident_id', 'at']).execute();

      await db.schema
        .createTable('executions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        // SET NULL: history pruning may drop an incident before its executions.
        .addColumn('incident_id', 'text', (c) => c.references('incidents.id').onDelete('set null'))
        .addColumn('runbook', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('strategy', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('approved_by', 'text')
        .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('error', 'text')
        .addColumn('plan', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('executions_created_at').on('executions').column('created_at').execute();
      await db.schema.createIndex('executions_incident').on('executions').column('incident_id').execute();
      // "At most one execution per target" and "what is running" are asked often.
      await db.schema.createIndex('executions_target_status').on('executions').columns(['target', 'status']).execute();
      await db.schema.createIndex('executions_status_created_at').on('executions').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('execution_steps')
        .addColumn('execution_id', 'text', (c) => c.notNull().references('executions.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('strategy', 'integer', (c) => c.notNull())
        .addColumn('step_index', 'integer', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('rollback_state', 'text')
        .addPrimaryKeyConstraint('execution_steps_pk', ['execution_id', 'seq'])
        .execute();

      await db.schema
        .createTable('signals')
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('signals_target_name_at').on('signals').columns(['target', 'name', 'at']).execute();
      // Retention deletes by age across all series.
      await db.schema.createIndex('signals_at').on('signals').column('at').execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('breakers')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('failures', 'text', (c) => c.notNull())
        .addColumn('opened_at', 'bigint')
        .execute();

      await db.schema
        .createTable('audit_log')
        // Not auto-numbered: seq is part of the hashed content, so the
        // appender must know it before the insert.
        .addColumn('seq', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
      await db.schema.createIndex('audit_log_subject').on('audit_log').column('subject').execute();
    },
  };
}
