import { z } from 'zod';
import { ActionError } from '../core/errors.js';
import { redactString } from '../core/redact.js';
import { withRedis } from '../drivers/redis.js';
import type { ActionPlugin } from './types.js';

const params = z.strictObject({
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /** The database; default: the URL's, else 0. A whole-database flush needs it said here, on purpose. */
  db: z.number().int().min(0).max(1023).optional(),
  /** Keys matching this glob (Redis MATCH syntax), removed with SCAN + UNLINK. Without it: the whole database `db`. */
  pattern: z.string().min(1).max(512)
    .refine((p) => /[^*?[\]\\]/.test(p.replace(/\[[^\]]*\]/g, '')), 'must contain a literal character: a pattern of wildcards alone is the whole database (give db and no pattern for that)')
    .optional(),
  batch: z.number().int().min(1).max(10_000).default(500),
  /** At most this many keys per run (a pattern run stops there; a whole-database flush is refused above it). */
  max_keys: z.number().int().min(1).default(1_000_000),
}).refine((p) => p.pattern !== undefined || p.db !== undefined, {
  message: 'give a pattern, or db for a whole-database flush (the URL alone is not enough to empty a database)', path: ['db'],
});
export type RedisFlushParams = z.output<typeof params>;

/**
 * Clears a cache: one database (FLUSHDB ASYNC), or the keys matching a pattern,
 * found with SCAN and removed with UNLINK in batches. Never KEYS, which blocks
 * the server while it walks every key. Nothing to undo: a cache rebuilds.
 */
export const redisFlushAction: ActionPlugin<RedisFlushParams> = {
  type: 'redis.flush',
  schema: params,
  idempotent: true,
  mutates: true,

  async plan(ctx) {
    const p = ctx.params;
    const count = await withRedis(p.url, ctx.signal, async (r) => {
      if (p.db !== undefined) await r.select(p.db);
      if (!p.pattern) return r.dbsize();
      let n = 0;
      for await (const keys of r.scanStream({ match: p.pattern, count: p.batch }) as AsyncIterable<string[]>) {
        n += keys.length;
        if (n >= p.max_keys) return p.max_keys;
      }
      return n;
    });
    return {
      summary: p.pattern
        ? `unlink ${count} key(s) matching ${p.pattern} in ${where(p)} (SCAN + UNLINK, batches of ${p.batch})`
        : `flush ${where(p)}: ${count} key(s) (FLUSHDB ASYNC)`,
      details: { keys: count, pattern: p.pattern ?? null },
    };
  },

  async execute(ctx) {
    const p = ctx.params;
    const removed = await withRedis(p.url, ctx.signal, async (r) => {
      if (p.db !== undefined) await r.select(p.db);
      if (!p.pattern) {
        const n = await r.dbsize();
        if (n > p.max_keys) throw new ActionError('unsafe', `${where(p)} holds ${n} keys, more than max_keys ${p.max_keys}: not flushed`, { retryable: false });
        await r.flushdb('ASYNC');
        return { n, capped: false };
      }
      let n = 0;
      let cursor = '0';
      do {
        if (ctx.signal.aborted) throw new ActionError('aborted', `stopped after unlinking ${n} key(s)`, { retryable: false });
        // Buffers, not strings: a key that is not valid UTF-8 must still be found and removed.
        const [next, keys] = await r.scanBuffer(cursor, 'MATCH', p.pattern, 'COUNT', p.batch);
        cursor = String(next);
        const take = keys.slice(0, p.max_keys - n);
        if (take.length > 0) n += await r.unlink(...take);
      } while (cursor !== '0' && n < p.max_keys);
      return { n, capped: cursor !== '0' && n >= p.max_keys };
    });
    return {
      summary: p.pattern
        ? `unlinked ${removed.n} key(s) matching ${p.pattern} in ${where(p)}${removed.capped ? ` (stopped at max_keys ${p.max_keys}; more remain)` : ''}`
        : `flushed ${where(p)}: ${removed.n} key(s)`,
      data: { keysRemoved: removed.n, capped: removed.capped },
    };
  },
};

function where(p: RedisFlushParams): string {
  return `${redactString(p.url)}${p.db !== undefined ? ` db ${p.db}` : ''}`;
}
