import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Signal } from '../../src/core/signal.js';
import { ProbeRunner } from '../../src/engine/probe-runner.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { ProbePlugin } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';

const noSupervisor = {} as SupervisorPort;

describe('ProbeRunner', () => {
  it('gives up a check that ignores its timeout, records probe_error, and keeps probing', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const stuck: ProbePlugin<Record<string, never>> = {
      type: 'stuck', schema: z.strictObject({}), produces: ['x'],
      check: () => {
        calls++;
        return calls === 1 ? new Promise<never>(() => {}) : Promise.resolve([{ name: 'x', value: calls }]);
      },
    };
    const got: Signal[] = [];
    const runner = new ProbeRunner({
      probes: [{ name: 'p', type: 'stuck', target: 't', intervalMs: 1_000, timeoutMs: 500, params: {} }],
      plugins: new Map([['stuck', stuck as ProbePlugin]]),
      targets: { t: { name: 't', labels: {}, process: null } },
      supervisor: noSupervisor, clock, log: silentLogger, emit: (s) => got.push(...s),
    });
    runner.start();
    for (let i = 0; i < 40; i++) await clock.advance(100);
    await runner.stop();
    expect(got[0]).toMatchObject({ name: 'probe_error', value: 1, target: 't' });
    expect(got.filter((s) => s.name === 'x').length).toBeGreaterThanOrEqual(1);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
