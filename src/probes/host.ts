import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { z } from 'zod';
import { errorMessage } from '../core/errors.js';
import type { Sample } from '../core/signal.js';
import type { ProbePlugin } from './types.js';

/**
 * host probe: cpu_percent, memory_percent, disk_used_percent{mount}, load1.
 *
 * CPU use is a rate: it needs two readings of /proc/stat, so the first check
 * of a probe emits no cpu_percent. The previous reading is kept per probe name
 * in this plugin's closure, because one plugin object serves every probe.
 */

export const hostProbeParams = z.strictObject({
  mounts: z.array(z.string().min(1)).min(1).default(['/']),
});
export type HostProbeParams = z.output<typeof hostProbeParams>;

export interface CpuTimes {
  /** Every jiffy, busy or not. */
  readonly total: number;
  /** Idle and waiting for I/O. */
  readonly idle: number;
}

/** What the probe reads from the machine; tests pass their own. */
export interface HostReader {
  cpuTimes(): Promise<CpuTimes>;
  /** Used memory as a percentage of total. */
  memoryPercent(): Promise<number>;
  /** Used space as a percentage of what non-root users can have, as df computes it. */
  diskUsedPercent(mount: string): Promise<number>;
  load1(): number;
}

export function createHostProbe(reader: HostReader = linuxHostReader): ProbePlugin<HostProbeParams> {
  const previousCpu = new Map<string, CpuTimes>();

  return {
    type: 'host',
    schema: hostProbeParams,
    produces: ['cpu_percent', 'memory_percent', 'disk_used_percent', 'load1'],
    async check(ctx) {
      const samples: Sample[] = [];

      const cpu = await reader.cpuTimes();
      const prev = previousCpu.get(ctx.probe.name);
      previousCpu.set(ctx.probe.name, cpu);
      if (prev) {
        const percent = cpuPercent(prev, cpu);
        if (percent !== undefined) samples.push({ name: 'cpu_percent', value: percent });
      }

      samples.push({ name: 'memory_percent', value: await reader.memoryPercent() });

      for (const mount of ctx.params.mounts) {
        try {
          samples.push({ name: 'disk_used_percent', value: await reader.diskUsedPercent(mount), labels: { mount } });
        } catch (err) {
          // One missing mount must not hide the others (or CPU and memory).
          ctx.log.warn({ probe: ctx.probe.name, mount, err: errorMessage(err) }, 'cannot read disk usage');
        }
      }

      samples.push({ name: 'load1', value: reader.load1() });
      return samples;
    },
  };
}

/** Busy share of the jiffies between two readings; undefined when no time passed or counters went back. */
export function cpuPercent(prev: CpuTimes, cur: CpuTimes): number | undefined {
  const total = cur.total - prev.total;
  const idle = cur.idle - prev.idle;
  if (total <= 0 || idle < 0 || idle > total) return undefined;
  return round2(((total - idle) / total) * 100);
}

/** The first line of /proc/stat: `cpu user nice system idle iowait irq softirq steal guest guest_nice`. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // guest and guest_nice are already counted in user and nice: summing them would count them twice.
  const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { total, idle };
}

/** MemAvailable is the kernel's own estimate of what can be had without swapping; older kernels lack it. */
export function parseMeminfo(text: string): number {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb('MemTotal');
  if (!total) throw new Error('no MemTotal in /proc/meminfo');
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return round2(((total - available) / total) * 100);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export const linuxHostReader: HostReader = {
  async cpuTimes() {
    try {
      return parseProcStat(await readFile('/proc/stat', 'utf8'));
    } catch {
      // Not Linux: libuv's per-CPU counters give the same busy/idle split.
      let total = 0;
      let idle = 0;
      for (const c of os.cpus()) {
        total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
        idle += c.times.idle;
      }
      return { total, idle };
    }
  },
  async memoryPercent() {
    try {
      return parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
    } catch {
      return round2((1 - os.freemem() / os.totalmem()) * 100);
    }
  },
  async diskUsedPercent(mount) {
    const s = await statfs(mount);
    const used = (s.blocks - s.bfree) * s.bsize;
    const available = s.bavail * s.bsize;
    // Like df: blocks reserved for root count as neither used nor available.
    return used + available === 0 ? 0 : round2((used / (used + available)) * 100);
  },
  load1() {
    return round2(os.loadavg()[0] ?? 0);
  },
};

