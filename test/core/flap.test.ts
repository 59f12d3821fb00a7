import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../../src/config/defaults.js';
import { compileConfig } from '../../src/config/load.js';
import { flapLimit, flapping, flapReason, type FlapLimit } from '../../src/core/flap.js';
import { builtinProbes } from '../../src/probes/index.js';
import { FakeClock } from '../support/fake-clock.js';

const MIN = 60_000;
const DEFAULT: FlapLimit = { max: 3, withinMs: 15 * MIN };

/** Fix times of a service that needs a fix every `everyMs`, on the fake clock. */
async function fixesEvery(clock: FakeClock, everyMs: number, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await clock.advance(everyMs);
    times.push(clock.now());
  }
  return times;
}

describe('restart-loop guard (flap)', () => {
  it('lets the first three fixes run and stops the fourth within 15 minutes (the defaults)', async () => {
    const clock = new FakeClock();
    const times = await fixesEvery(clock, 2_000, 3);
    expect(flapping(times.slice(0, 2), clock.now(), DEFAULT)).toBeNull();
    expect(flapping(times, clock.now() + 2_000, DEFAULT)).toEqual(times);
  });

  it('stops a crash loop at the defaults even with a 2-minute cooldown between fixes', async () => {
    const clock = new FakeClock();
    const times = await fixesEvery(clock, 2 * MIN, 3);
    await clock.advance(2 * MIN);
    expect(flapping(times, clock.now(), DEFAULT)).toEqual(times);
  });

  it('forgets a fix exactly 15 minutes old: the window is open at its start', async () => {
    const clock = new FakeClock();
    const times = await fixesEvery(clock, 5 * MIN, 3);
    await clock.advance(5 * MIN);
    // The first fix is now exactly 15 minutes old: it no longer counts, two remain.
    expect(flapping(times, clock.now(), DEFAULT)).toBeNull();
    expect(flapping(times, clock.now() - 1, DEFAULT)).toEqual(times);
  });

  it('does not count fixes spread wider than the window (a fix every 6 minutes is no loop)', async () => {
    const clock = new FakeClock();
    const times = await fixesEvery(clock, 6 * MIN, 10);
    await clock.advance(6 * MIN);
    expect(flapping(times, clock.now(), DEFAULT)).toBeNull();
  });

  it('still counts fixes "in the future" after the clock stepped back', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    expect(flapping([now + 1_000, now + 2_000, now + 3_000], now, DEFAULT)).toHaveLength(3);
  });

  it('with max 1, the second fix in the window is stopped', () => {
    expect(flapping([1_000], 2_000, { max: 1, withinMs: MIN })).toEqual([1_000]);
  });

  it('names the key, the window, every fix time and the limit in its reason', () => {
    const t = Date.UTC(2026, 0, 1, 10, 2, 0);
    expect(flapReason('restart@web', [t, t + 5_000, t + 10_000], DEFAULT))
      .toBe('restart loop: restart@web ran 3 times within 15m (at 10:02:00, 10:02:05, 10:02:10); flap.max is 3');
  });

  it("takes a runbook's own max and window field by field over the policy's", () => {
    expect(flapLimit(DEFAULT, null)).toEqual(DEFAULT);
    expect(flapLimit(DEFAULT, { max: 5, withinMs: null })).toEqual({ max: 5, withinMs: 15 * MIN });
    expect(flapLimit(DEFAULT, { max: null, withinMs: MIN })).toEqual({ max: 3, withinMs: MIN });
  });

  it('defaults to 3 fixes in 15 minutes in the config, and reads policy.flap', () => {
    expect(CONFIG_DEFAULTS.policy.flap).toEqual({ max: 3, within: '15m' });
    expect(compileConfig('targets: []\n', '/v/medic.yaml', { probes: builtinProbes() }).policy.flap).toEqual(DEFAULT);
    expect(compileConfig('targets: []\npolicy:\n  flap: { max: 2, within: 1m }\n', '/v/medic.yaml', { probes: builtinProbes() }).policy.flap).toEqual({ max: 2, withinMs: MIN });
  });
});
