import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import { parseInfo, withRedis } from '../drivers/redis.js';
import type { ProbePlugin } from './types.js';

const params = z.strictObject({
  /** redis://[:password@]host:port/db */
  url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
});
export type RedisProbeParams = z.output<typeof params>;

/**
 * Cache health from INFO: memory used against maxmemory (SPEC: > 90 % P2),
 * evictions (a counter: use rate or delta), clients. Without a maxmemory the
 * server may grow until the host runs out, so the share is then taken of the
 * host's memory and the sample says so with `basis: system`.
 */
export const redisProbe: ProbePlugin<RedisProbeParams> = {
  type: 'redis',
  schema: params,
  produces: ['redis_up', 'redis_used_memory_mb', 'redis_memory_used_percent', 'redis_evicted_keys', 'redis_connected_clients'],

  async check(ctx) {
    try {
      const info = await withRedis(ctx.params.url, ctx.signal, async (r) => parseInfo(await r.info()), { connectTimeoutMs: ctx.probe.timeoutMs });
      const num = (k: string) => Number(info.get(k) ?? 'NaN');
      const used = num('used_memory');
      const max = num('maxmemory');
      const system = num('total_system_memory');
      const basis = max > 0 ? 'maxmemory' : 'system';
      const limit = max > 0 ? max : system;
      const samples: Sample[] = [
        { name: 'redis_up', value: 1 },
        { name: 'redis_used_memory_mb', value: used / 1_048_576 },
        { name: 'redis_evicted_keys', value: num('evicted_keys') },
        { name: 'redis_connected_clients', value: num('connected_clients') },
      ];
      if (limit > 0 && Number.isFinite(used)) samples.push({ name: 'redis_memory_used_percent', value: (used / limit) * 100, labels: { basis } });
      return samples.filter((s) => Number.isFinite(s.value));
    } catch {
      return [{ name: 'redis_up', value: 0 }];
    }
  },
};
