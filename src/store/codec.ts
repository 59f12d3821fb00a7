import { sql, type Expression, type SqlBool } from 'kysely';

/**
 * Conversions between domain values and portable column types, shared by the
 * table modules so every JSON and boolean column behaves the same way.
 */

export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify(undefined) is undefined; a NOT NULL column would then fail
  // far from the caller. Say which value was wrong here instead.
  if (text === undefined) throw new TypeError(`cannot store ${typeof value} as JSON`);
  return text;
}

export function fromJsonText<T>(text: string): T {
  return JSON.parse(text) as T;
}

export function toIntBool(value: boolean): number {
  return value ? 1 : 0;
}

export function fromIntBool(value: number): boolean {
  return Number(value) !== 0;
}

/** COUNT(*) comes back as number (SQLite) or string/bigint (PostgreSQL). */
export function toCount(value: string | number | bigint | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/** An always-false condition: `status IN ()` is not valid SQL. */
export function matchesNothing(): Expression<SqlBool> {
  return sql<SqlBool>`1 = 0`;
}

export interface PageWindow {
  readonly limit: number | undefined;
  readonly offset: number | undefined;
}

/**
 * Validates limit/offset. SQLite cannot take OFFSET without LIMIT, so an
 * offset alone gets an unbounded (but portable) limit.
 */
export function pageWindow(limit: number | undefined, offset: number | undefined): PageWindow {
  for (const [name, v] of [['limit', limit], ['offset', offset]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new RangeError(`${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
  if (offset !== undefined && offset > 0 && limit === undefined) {
    return { limit: Number.MAX_SAFE_INTEGER, offset };
  }
  return { limit, offset: offset === 0 ? undefined : offset };
}
