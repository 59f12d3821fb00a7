import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisFlushAction, type RedisFlushParams } from '../../src/actions/redis.js';
import type { ActionContext } from '../../src/actions/types.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { redisProbe } from '../../src/probes/redis.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { serviceOrSkip } from '../support/services.js';

const URL = 'redis://127.0.0.1:6379';
const available = await serviceOrSkip('redis');

function actx(params: Partial<RedisFlushParams> & { url: string }): ActionContext<RedisFlushParams> {
  return {
    params: redisFlushAction.schema.parse(params), targetName: 'cache', target: undefined, incident: null, executionId: 'exe_test',
    clock: systemClock, signal: AbortSignal.timeout(10_000), log: silentLogger, supervisor: {} as SupervisorPort, notifier: { notify: () => {} },
  };
}

describe.skipIf(!available)('redis.flush and the redis probe, against the real Redis', () => {
  // A prefix of our own, in a database of our own, so nothing else on the server is touched.
  const prefix = `medic-test-${randomBytes(4).toString('hex')}`;
  const DB = 13;
  let r: Redis;

  beforeAll(async () => {
    r = new Redis(`${URL}/${DB}`);
    const pipe = r.pipeline();
    for (let i = 0; i < 1200; i++) pipe.set(`${prefix}:cache:${i}`, 'x');
    for (let i = 0; i < 40; i++) pipe.set(`${prefix}:session:${i}`, 'keep');
    pipe.set(`${prefix}:cachette`, 'keep'); // close to the pattern, not in it
    await pipe.exec();
  });

  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of r.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) keys.push(...batch);
    if (keys.length > 0) await r.unlink(...keys);
    r.disconnect();
  });

  it('plans the keys a pattern matches without removing any', async () => {
    const plan = await redisFlushAction.plan(actx({ url: `${URL}/${DB}`, pattern: `${prefix}:cache:*` }));
    expect(plan.details).toMatchObject({ keys: 1200 });
    expect(await r.exists(`${prefix}:cache:0`)).toBe(1);
  });

  it('removes exactly the keys matching the pattern, in batches, and says how many', async () => {
    const out = await redisFlushAction.execute(actx({ url: URL, db: DB, pattern: `${prefix}:cache:*`, batch: 100 }));
    expect(out.data).toEqual({ keysRemoved: 1200, capped: false });
    const left: string[] = [];
    for await (const batch of r.scanStream({ match: `${prefix}:*`, count: 500 }) as AsyncIterable<string[]>) left.push(...batch);
    expect(left.sort()).toEqual([`${prefix}:cachette`, ...Array.from({ length: 40 }, (_, i) => `${prefix}:session:${i}`)].sort());
  });

  it('flushes one whole database and leaves the others alone', async () => {
    const other = new Redis(`${URL}/14`);
    try {
      await other.set(`${prefix}:a`, '1');
      await other.set(`${prefix}:b`, '2');
      const before = await other.dbsize();
      const out = await redisFlushAction.execute(actx({ url: URL, db: 14 }));
      expect(out.data).toEqual({ keysRemoved: before, capped: false });
      expect(await other.dbsize()).toBe(0);
      expect(await r.exists(`${prefix}:session:0`)).toBe(1);
    } finally {
      other.disconnect();
    }
  });

  it('stops at max_keys', async () => {
    const pipe = r.pipeline();
    for (let i = 0; i < 50; i++) pipe.set(`${prefix}:tmp:${i}`, 'x');
    await pipe.exec();
    const out = await redisFlushAction.execute(actx({ url: URL, db: DB, pattern: `${prefix}:tmp:*`, batch: 10, max_keys: 20 }));
    expect(out.data).toEqual({ keysRemoved: 20, capped: true });
    expect(out.summary).toMatch(/stopped at max_keys 20; more remain/);
  });

  it('reads memory, evictions and clients; a server that is not there reads as down', async () => {
    const pctx = (url: string): ProbeContext<{ url: string }> => ({
      probe: { name: 'cache', type: 'redis', target: 'cache', intervalMs: 1000, timeoutMs: 1000, params: { url } },
      params: { url }, target: { name: 'cache', labels: {}, process: null }, clock: systemClock,
      signal: AbortSignal.timeout(5_000), log: silentLogger, supervisor: {} as SupervisorPort,
    });
    const up = await redisProbe.check!(pctx(URL));
    const by = Object.fromEntries(up.map((s) => [s.name, s.value]));
    expect(by['redis_up']).toBe(1);
    expect(by['redis_used_memory_mb']).toBeGreaterThan(0);
    expect(by['redis_memory_used_percent']).toBeGreaterThan(0);
    expect(by['redis_memory_used_percent']).toBeLessThan(100);
    expect(by['redis_connected_clients']).toBeGreaterThanOrEqual(1);
    expect(by['redis_evicted_keys']).toBeGreaterThanOrEqual(0);
    expect(await redisProbe.check!(pctx('redis://127.0.0.1:1'))).toEqual([{ name: 'redis_up', value: 0 }]);
  });

  it('never lands on db 0 when the URL names a database that does not exist', async () => {
    await r.set(`${prefix}:zero-guard`, 'x');
    const zero = new Redis(`${URL}/0`);
    try {
      await zero.set(`${prefix}:on-db0`, 'keep');
      await expect(redisFlushAction.execute(actx({ url: `${URL}/99`, db: undefined, pattern: `${prefix}:*` }))).rejects.toThrow(/DB index is out of range/);
      await expect(redisFlushAction.execute(actx({ url: `${URL}/99`, db: 99 }))).rejects.toThrow(/DB index is out of range/);
      expect(await zero.get(`${prefix}:on-db0`)).toBe('keep');
    } finally {
      await zero.del(`${prefix}:on-db0`);
      zero.disconnect();
    }
  });

  it('refuses what could empty a database by accident', () => {
    expect(() => redisFlushAction.schema.parse({ url: `${URL}/${DB}` })).toThrow(/give a pattern, or db/);
    expect(() => redisFlushAction.schema.parse({ url: URL, pattern: '*' })).toThrow(/literal character/);
    expect(() => redisFlushAction.schema.parse({ url: URL, pattern: '[a-z]*?' })).toThrow(/literal character/);
    expect(redisFlushAction.schema.parse({ url: URL, pattern: 'cache:*' })).toMatchObject({ pattern: 'cache:*' });
  });

  it('refuses a whole-database flush above max_keys', async () => {
    const other = new Redis(`${URL}/12`);
    try {
      await other.set(`${prefix}:a`, '1');
      await other.set(`${prefix}:b`, '2');
      await expect(redisFlushAction.execute(actx({ url: URL, db: 12, max_keys: 1 }))).rejects.toThrow(/more than max_keys 1: not flushed/);
      expect(await other.exists(`${prefix}:a`)).toBe(1);
    } finally {
      await other.del(`${prefix}:a`, `${prefix}:b`);
      other.disconnect();
    }
  });

  it('keeps the password out of its messages', async () => {
    await expect(redisFlushAction.execute(actx({ url: 'redis://:s3cretpw@127.0.0.1:1/0', pattern: 'x*' }))).rejects.toThrow(/^(?!.*s3cretpw).*redis/);
  });
});
