/**
 * What differs between the storage backends, as data. Store modules read
 * these flags instead of asking "is this SQLite?", so adding PostgreSQL
 * (SPEC §11) means adding a profile and a connection factory, not hunting
 * for `if`s. Everything else — schema, queries, the storage test suite — is
 * shared through Kysely.
 */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * `FOR UPDATE SKIP LOCKED`, which lets several engine instances claim
   * executions without blocking on each other. SQLite has one writer, so
   * claims there are plain transactions.
   */
  readonly supportsSkipLocked: boolean;
  /** Session advisory locks, used to elect the one scheduler among instances. */
  readonly supportsAdvisoryLocks: boolean;
  /**
   * Other processes may append to the same tables while we run (several
   * engines on one PostgreSQL). When true, caches of "the last row" (the
   * audit chain head) are re-read inside every write transaction.
   */
  readonly sharedWriters: boolean;
  /**
   * How an auto-numbered id is declared: SQLite's `integer primary key
   * autoincrement` (never reuses ids after deletes), PostgreSQL's identity.
   */
  readonly identityColumn: 'integer-autoincrement' | 'generated-identity';
  /**
   * Bound parameters one statement may carry (SQLite ≥ 3.32: 32766,
   * PostgreSQL: 65535). Batched inserts size their chunks from this.
   */
  readonly maxParameters: number;
}

export const SQLITE: StoreDialect = Object.freeze({
  name: 'sqlite',
  supportsSkipLocked: false,
  supportsAdvisoryLocks: false,
  sharedWriters: false,
  identityColumn: 'integer-autoincrement',
  maxParameters: 32_766,
});

/**
 * Not wired yet. Its connection factory must parse int8 as a number
 * (pg.types.setTypeParser(20, Number)): epoch-ms columns are bigint and the
 * row mappers expect numbers, as SQLite returns them.
 */
export const POSTGRES: StoreDialect = Object.freeze({
  name: 'postgres',
  supportsSkipLocked: true,
  supportsAdvisoryLocks: true,
  sharedWriters: true,
  identityColumn: 'generated-identity',
  maxParameters: 65_535,
});
