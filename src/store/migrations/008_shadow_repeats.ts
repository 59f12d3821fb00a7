import type { Kysely, Migration } from 'kysely';

/**
 * Shadow mode records one execution per incident; this column counts how
 * often the engine would have run it again while the problem held, instead
 * of a new row (and audit entry) each time.
 */
export function shadowRepeats(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('executions').addColumn('shadow_repeats', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  };
}
