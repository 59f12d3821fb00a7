/**
 * Time comes in through this port so that the core stays pure and tests can
 * jump, freeze or reverse time. The real implementation lives in
 * src/drivers/clock.ts; a controllable one in test/support/fake-clock.ts.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
