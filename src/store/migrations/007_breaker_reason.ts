import type { Kysely, Migration } from 'kysely';

/** A breaker may open for a reason other than counted failures (the restart-loop guard): it is kept with it. */
export function breakerReason(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('breakers').addColumn('reason', 'text').execute();
    },
  };
}
