import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.js';

describe('the fake clock', () => {
  it('takes a sleep\'s abort listener away when the sleep ends, so a loop on one signal does not pile them up', async () => {
    const clock = new FakeClock();
    const life = new AbortController();
    for (let i = 0; i < 100; i++) {
      const slept = clock.sleep(1_000, life.signal);
      await clock.advance(1_000);
      await slept;
    }
    expect(getEventListeners(life.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingSleepers).toBe(0);
  });

  it('still rejects a sleep whose signal aborts, and forgets it', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const slept = clock.sleep(1_000, stop.signal);
    stop.abort(new Error('stopping'));
    await expect(slept).rejects.toThrow('stopping');
    expect(clock.pendingSleepers).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});
