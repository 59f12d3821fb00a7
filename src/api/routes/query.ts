import { z } from 'zod';
import { SEVERITIES } from '../../core/severity.js';

/** Comma-separated lists in query strings: `?status=open,remediating`. */
export function csvOf<T extends readonly [string, ...string[]]>(values: T) {
  return z.string().max(500).transform((s) => s.split(',').filter(Boolean)).pipe(z.array(z.enum(values)));
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  order: z.enum(['asc', 'desc']).default('desc'),
  since: z.coerce.number().int().min(0).optional(),
  until: z.coerce.number().int().min(0).optional(),
};

export const severityList = csvOf(SEVERITIES);
export const idParam = z.strictObject({ id: z.string().regex(/^[a-z]{3}_[a-z0-9]{6,40}$/, 'not an id') });
