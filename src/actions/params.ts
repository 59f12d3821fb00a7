import { z } from 'zod';
import { parseDuration } from '../core/duration.js';

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
