import { describe, expect, it } from 'vitest';
import { ActionError } from '../../src/core/errors.js';
import { withRetries } from '../../src/executor/attempt.js';
import { FakeClock } from '../support/fake-clock.js';

const backoff = { initialMs: 1_000, factor: 2, maxMs: 10_000 };

describe('withRetries', () => {
  it('retries a retryable failure with growing backoff and reports the attempts', async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const run = withRetries(clock, { timeoutMs: 60_000, retries: 2, backoff, signal: new AbortController().signal }, async () => {
      starts.push(clock.now());
      if (starts.length < 3) throw new ActionError('unavailable', 'busy');
      return 'ok';
    });
    for (let i = 0; i < 40; i++) await clock.advance(250);
    expect(await run).toEqual({ value: 'ok', attempts: 3 });
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 1_000, 3_000]);
  });

  it('starts no further attempt once the engine stops during the backoff', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    let attempts = 0;
    const run = withRetries(clock, { timeoutMs: 60_000, retries: 5, backoff, signal: stop.signal }, async () => {
      attempts++;
      throw new ActionError('unavailable', 'busy');
    });
    const settled = run.catch((e: unknown) => e);
    await clock.advance(10);
    stop.abort();
    await clock.advance(60_000);
    expect(await settled).toBeInstanceOf(ActionError);
    expect(attempts).toBe(1);
  });

  it('does not retry beside an attempt that timed out and ignores its abort', async () => {
    const clock = new FakeClock();
    let running = 0;
    let maxRunning = 0;
    const run = withRetries(clock, { timeoutMs: 300, retries: 2, backoff, signal: new AbortController().signal }, () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<never>(() => {}); // never honours the abort
    });
    const settled = run.catch((e: unknown) => e);
    for (let i = 0; i < 100; i++) await clock.advance(1_000);
    const err = (await settled) as ActionError;
    expect(err.code).toBe('timeout');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/did not stop within 5000 ms .*not retried/);
    expect(maxRunning).toBe(1);
  });

  it('retries after a timed-out attempt that did stop when told to', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const run = withRetries(clock, { timeoutMs: 300, retries: 1, backoff, signal: new AbortController().signal }, (signal) => {
      attempts++;
      if (attempts === 2) return Promise.resolve('second time lucky');
      return new Promise((_res, rej) => signal.addEventListener('abort', () => rej(signal.reason), { once: true }));
    });
    for (let i = 0; i < 40; i++) await clock.advance(250);
    expect(await run).toEqual({ value: 'second time lucky', attempts: 2 });
  });
});
