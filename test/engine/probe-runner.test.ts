import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Signal } from '../../src/core/signal.js';
import { ProbeRunner } from '../../src/engine/probe-runner.js';
import { silentLogger } from '../../src/drivers/log.js';
import { builtinProbes } from '../../src/probes/index.js';
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

  it('closes its plugins once when it stops, after the last check', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const held: ProbePlugin<Record<string, never>> = {
      type: 'held', schema: z.strictObject({}), produces: ['x'],
      check: async () => {
        seen.push('check');
        return [{ name: 'x', value: 1 }];
      },
      close: async () => {
        seen.push('close');
      },
    };
    const runner = new ProbeRunner({
      probes: ['a', 'b'].map((name) => ({ name, type: 'held', target: 't', intervalMs: 1_000, timeoutMs: 500, params: {} })),
      plugins: new Map([['held', held as ProbePlugin]]),
      targets: { t: { name: 't', labels: {}, process: null } },
      supervisor: noSupervisor, clock, log: silentLogger, emit: () => {},
    });
    runner.start();
    await clock.advance(1_000);
    await runner.stop();
    await runner.stop();
    expect(seen.filter((s) => s === 'close')).toHaveLength(1);
    expect(seen.at(-1)).toBe('close');
    expect(seen).toContain('check');
  });
});

describe('builtinProbes', () => {
  it('builds a new set per call, so two engines never share a connection or a baseline', () => {
    const one = builtinProbes();
    const two = builtinProbes();
    for (const type of ['postgres', 'mysql', 'process', 'host', 'prometheus_text']) {
      expect(one.get(type), type).toBeDefined();
      expect(one.get(type), type).not.toBe(two.get(type));
    }
    expect(typeof one.get('postgres')?.close).toBe('function');
  });
});
