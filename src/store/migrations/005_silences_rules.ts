import type { Kysely, Migration } from 'kysely';

/**
 * Silences (maintenance windows) and rules created through the API. Both are
 * small tables read whole at start; JSON columns are never queried inside.
 */
export function silencesAndRules(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('silences_ends_at').on('silences').column('ends_at').execute();

      await db.schema
        .createTable('runtime_rules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        // The rule as posted (config YAML shape), compiled again at every start.
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
