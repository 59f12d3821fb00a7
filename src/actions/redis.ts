import { z } from 'zod';
import { ActionError } from '../core/errors.js';
import { redactString } from '../audit/redact.js';
import { withRedis } from '../net/redis.js';
import type { ActionPlugin } from './types.js';

const params = z.strictObject({
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  /** The database; default: the URL's, else 0. */
  db: z.number().int().min(0).max(1023).optional(),
  /** Keys matching this glob (Redis MATCH syntax), removed with SCAN + UNLINK. Without it: the whole database. */
  pattern: z.string().min(1).max(512).optional(),
  batch: z.number().int().min(1).max(10_000).default(500),
  /** At most this many keys per run; the next run goes on. */
  max_keys: z.number().int().min(1).default(1_000_000),
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
        await r.flushdb('ASYNC');
        return n;
      }
      let n = 0;
      let cursor = '0';
      do {
        if (ctx.signal.aborted) throw new ActionError('aborted', `stopped after unlinking ${n} key(s)`, { retryable: false });
        const [next, keys] = await r.scan(cursor, 'MATCH', p.pattern, 'COUNT', p.batch);
        cursor = next;
        const take = keys.slice(0, p.max_keys - n);
        if (take.length > 0) n += await r.unlink(...take);
      } while (cursor !== '0' && n < p.max_keys);
      return n;
    });
    return {
      summary: p.pattern ? `unlinked ${removed} key(s) matching ${p.pattern} in ${where(p)}` : `flushed ${where(p)}: ${removed} key(s)`,
      data: { keysRemoved: removed },
    };
  },
};

function where(p: RedisFlushParams): string {
  return `${redactString(p.url)}${p.db !== undefined ? ` db ${p.db}` : ''}`;
}
