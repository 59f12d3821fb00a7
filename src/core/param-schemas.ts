import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * Param schemas that probe and action plugins share. They live below both, so that a plugin never
 * imports a sibling plugin for a schema (eslint.config.js, floorZones).
 */

/** A duration param ("30s", "250ms" or ms), with a default, parsed to ms. */
export function durationParam(fallback: string) {
  return z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: `not a duration: ${String(v)}`, input: v });
        return z.NEVER;
      }
      return ms;
    });
}

/** POSIX, as node:path's isAbsolute reads it on Linux; the core imports no node: module. */
export const absolutePath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path');
