import { describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig } from '../../src/config/types.js';
import type { Sample } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import {
  cpuPercent,
  createHostProbe,
  hostProbe,
  parseMeminfo,
  parseProcStat,
  type CpuTimes,
  type HostProbeParams,
  type HostReader,
} from '../../src/probes/host.js';
import type { ProbePlugin } from '../../src/probes/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

function run(plugin: ProbePlugin<HostProbeParams>, params: Record<string, unknown> = {}, name = 'host'): Promise<Sample[]> {
  const probe: ProbeConfig = { name, type: 'host', target: 'box', intervalMs: 1000, timeoutMs: 1000, params };
  const target: TargetConfig = { name: 'box', labels: {}, process: null };
  return plugin.check!({
    probe,
    params: plugin.schema.parse(params),
    target,
    clock: systemClock,
    signal: new AbortController().signal,
    log: silentLogger,
    supervisor: {} as SupervisorPort,
  });
}

function fakeReader(cpu: CpuTimes[]): HostReader {
  return {
    cpuTimes: async () => cpu.shift() ?? { total: 0, idle: 0 },
    memoryPercent: async () => 42.5,
    diskUsedPercent: async (mount) => {
      if (mount === '/missing') throw new Error('ENOENT');
      return mount === '/' ? 81 : 12;
    },
    load1: () => 0.7,
  };
}

describe('host probe', () => {
  it('reads this machine in sane ranges', async () => {
    const first = await run(hostProbe, {}, 'real');
    const second = await run(hostProbe, {}, 'real');
    const mem = first.find((s) => s.name === 'memory_percent')!.value;
    expect(mem).toBeGreaterThan(0);
    expect(mem).toBeLessThanOrEqual(100);
    const disk = first.find((s) => s.name === 'disk_used_percent')!;
    expect(disk.labels).toEqual({ mount: '/' });
    expect(disk.value).toBeGreaterThanOrEqual(0);
    expect(disk.value).toBeLessThanOrEqual(100);
    expect(first.find((s) => s.name === 'load1')!.value).toBeGreaterThanOrEqual(0);
    // The first check has nothing to take a CPU delta from; the second has one unless no tick passed between them.
    expect(first.some((s) => s.name === 'cpu_percent')).toBe(false);
    const cpu = second.find((s) => s.name === 'cpu_percent');
    if (cpu) {
      expect(cpu.value).toBeGreaterThanOrEqual(0);
      expect(cpu.value).toBeLessThanOrEqual(100);
    }
  });

  it('computes CPU use from the delta between two checks of the same probe', async () => {
    const plugin = createHostProbe(fakeReader([{ total: 1000, idle: 800 }, { total: 1400, idle: 1100 }]));
    expect((await run(plugin)).map((s) => s.name)).toEqual(['memory_percent', 'disk_used_percent', 'load1']);
    const second = await run(plugin);
    expect(second).toEqual([
      { name: 'cpu_percent', value: 25 },
      { name: 'memory_percent', value: 42.5 },
      { name: 'disk_used_percent', value: 81, labels: { mount: '/' } },
      { name: 'load1', value: 0.7 },
    ]);
  });

  it('keeps the CPU baseline per probe name', async () => {
    const plugin = createHostProbe(fakeReader([{ total: 1000, idle: 800 }, { total: 1400, idle: 1100 }]));
    await run(plugin, {}, 'a');
    expect((await run(plugin, {}, 'b')).some((s) => s.name === 'cpu_percent')).toBe(false);
  });

  it('reports every readable mount and skips one it cannot read', async () => {
    const samples = await run(createHostProbe(fakeReader([])), { mounts: ['/', '/missing', '/data'] });
    expect(samples.filter((s) => s.name === 'disk_used_percent')).toEqual([
      { name: 'disk_used_percent', value: 81, labels: { mount: '/' } },
      { name: 'disk_used_percent', value: 12, labels: { mount: '/data' } },
    ]);
  });

  it('parses /proc/stat without counting guest time twice', () => {
    const t = parseProcStat('cpu  100 5 50 800 20 3 2 0 40 0\ncpu0 50 2 25 400 10 1 1 0 20 0\nintr 1\n');
    expect(t).toEqual({ total: 980, idle: 820 });
  });

  it('gives no CPU figure when no time passed or the counters went back', () => {
    expect(cpuPercent({ total: 10, idle: 5 }, { total: 10, idle: 5 })).toBeUndefined();
    expect(cpuPercent({ total: 10, idle: 5 }, { total: 8, idle: 5 })).toBeUndefined();
    expect(cpuPercent({ total: 0, idle: 0 }, { total: 100, idle: 5 })).toBe(95);
  });

  it('reads memory from MemAvailable, or from free + buffers + cache on old kernels', () => {
    expect(parseMeminfo('MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n')).toBe(75);
    expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n')).toBe(60);
    expect(() => parseMeminfo('nothing')).toThrow(/MemTotal/);
  });

  it('validates params strictly', () => {
    expect(hostProbe.schema.safeParse({ mounts: [] }).success).toBe(false);
    expect(hostProbe.schema.safeParse({ cpu: true }).success).toBe(false);
    expect(hostProbe.schema.parse({})).toEqual({ mounts: ['/'] });
  });
});
