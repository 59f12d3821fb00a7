import type { Clock } from '../../src/core/clock.js';

interface Sleeper { until: number; resolve: () => void; reject: (e: unknown) => void }

/**
 * A clock that only moves when told: `advance` runs due sleepers in time
 * order; `set` can also move time backwards (sleepers then wait longer).
 */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((x) => x !== s);
        reject(signal?.reason);
      };
      // A loop sleeps thousands of times on one long-lived signal: each wake must take its listener
      // away again, or they pile up on the signal (slower with every sleep, and held until it aborts).
      const s: Sleeper = {
        until: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      this.sleepers.push(s);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward by `ms`, waking sleepers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    // Let what is already running register its sleeps at the current time first.
    await flush();
    const end = this.t + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.until <= end).sort((a, b) => a.until - b.until)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.until);
      this.sleepers = this.sleepers.filter((s) => s !== due);
      due.resolve();
      await flush();
    }
    this.t = end;
    await flush();
  }

  /** Jumps to an absolute time, forwards or backwards, waking nobody early. */
  set(t: number): void {
    this.t = t;
  }

  get pendingSleepers(): number {
    return this.sleepers.length;
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
