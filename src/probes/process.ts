import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Sample } from '../core/signal.js';
import type { GroupStatus, ReplicaState } from '../supervisor/types.js';
import type { ProbePlugin } from './types.js';

const paramsSchema = z.strictObject({
  /** Watch the process named in a pidfile instead of a supervised group. */
  pidfile: z.string().min(1).optional(),
});
export type ProcessProbeParams = z.infer<typeof paramsSchema>;

/** Linux reports CPU time in USER_HZ ticks, fixed at 100 per second for userspace. */
const TICKS_PER_SECOND = 100;

/**
 * States that do not count as down: 'running', and the transitions Medic
 * itself is driving (a restart's stop and start, a scale-up's new replica).
 * Counting those as down would open a "crashed" incident for every restart
 * Medic makes.
 */
const UP_STATES: readonly ReplicaState[] = ['running', 'starting', 'stopping'];

/** CPU time seen at the previous check, per probe and pid, for the delta. */
type CpuSeen = Map<string, Map<number, { ticks: number; at: number }>>;

/**
 * A supervised process group (or a pidfile's process): up or not, replicas
 * running, memory and CPU. A crash is reported from the supervisor's exit
 * event itself (`watch`), so detection does not wait for the next check.
 */
export function createProcessProbe(): ProbePlugin<ProcessProbeParams> {
  // One plugin serves every process probe of an engine: the CPU baselines are keyed by probe name.
  const cpuSeen: CpuSeen = new Map();
  return {
    type: 'process',
    schema: paramsSchema,
    produces: ['process_up', 'process_stopped', 'process_replicas_running', 'process_rss_mb', 'process_cpu_percent'],

    watch(ctx, emit) {
      if (ctx.params.pidfile !== undefined) return () => undefined;
      const target = ctx.probe.target;
      const offExit = ctx.supervisor.on('exit', (e) => {
        if (e.target === target && !e.expected) emit([{ name: 'process_up', value: 0 }]);
      });
      const offReady = ctx.supervisor.on('ready', (e) => {
        if (e.target !== target) return;
        const status = ctx.supervisor.status(target);
        emit([{ name: 'process_up', value: status ? upValue(status) : 1 }]);
      });
      return () => {
        offExit();
        offReady();
      };
    },

    async check(ctx) {
      const key = ctx.probe.name;
      if (ctx.params.pidfile !== undefined) {
        const pid = await readPidfile(ctx.params.pidfile);
        const alive = pid !== null && isAlive(pid);
        const samples: Sample[] = [{ name: 'process_up', value: alive ? 1 : 0 }];
        if (alive) samples.push(...(await usage(cpuSeen, key, [pid], ctx.clock.now())));
        return samples;
      }
      const status = ctx.supervisor.status(ctx.probe.target);
      if (!status) throw new Error(`target "${ctx.probe.target}" has no supervised process and the probe names no pidfile`);
      const pids = status.replicas.flatMap((r) => (r.state === 'running' && r.pid !== null ? [r.pid] : []));
      // Stopped on purpose (process.stop, the emergency shutdown): not "down". Reporting
      // process_up 0 here would make the crash rule start again what a person stopped.
      if (status.replicas.length > 0 && status.replicas.every((r) => r.state === 'stopped' && (r.lastExit === null || r.lastExit.expected))) {
        return [{ name: 'process_stopped', value: 1 }, { name: 'process_replicas_running', value: 0 }];
      }
      return [
        { name: 'process_up', value: upValue(status) },
        { name: 'process_replicas_running', value: pids.length },
        ...(await usage(cpuSeen, key, pids, ctx.clock.now())),
      ];
    },
  };
}

function upValue(status: GroupStatus): number {
  const wanted = status.replicas.slice(0, status.desired);
  return wanted.length === status.desired && wanted.every((r) => UP_STATES.includes(r.state)) ? 1 : 0;
}

/**
 * RSS summed over the pids (what the group costs) and CPU as the busiest
 * pid's share of one core (a hot replica is the problem, not the average).
 * CPU needs two looks at a pid, so a pid seen for the first time gives none.
 */
async function usage(cpuSeen: CpuSeen, key: string, pids: readonly number[], now: number): Promise<Sample[]> {
  const previous = cpuSeen.get(key) ?? new Map<number, { ticks: number; at: number }>();
  const next = new Map<number, { ticks: number; at: number }>();
  let rssKb = 0;
  let rssKnown = false;
  let cpu: number | null = null;
  for (const pid of pids) {
    const [kb, ticks] = await Promise.all([readRssKb(pid), readCpuTicks(pid)]);
    if (kb !== null) {
      rssKb += kb;
      rssKnown = true;
    }
    if (ticks === null) continue;
    next.set(pid, { ticks, at: now });
    const before = previous.get(pid);
    if (before && now > before.at) {
      const percent = (((ticks - before.ticks) / TICKS_PER_SECOND) * 1000 * 100) / (now - before.at);
      cpu = Math.max(cpu ?? 0, Math.max(0, percent));
    }
  }
  // Only pids still present are kept, so the map cannot grow with every restart.
  cpuSeen.set(key, next);
  const samples: Sample[] = [];
  if (rssKnown) samples.push({ name: 'process_rss_mb', value: rssKb / 1024 });
  if (cpu !== null) samples.push({ name: 'process_cpu_percent', value: Math.round(cpu * 10) / 10 });
  return samples;
}

async function readRssKb(pid: number): Promise<number | null> {
  const text = await readProc(`/proc/${pid}/status`);
  const m = text === null ? null : /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) : null;
}

async function readCpuTicks(pid: number): Promise<number | null> {
  const text = await readProc(`/proc/${pid}/stat`);
  if (text === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** null when the process is gone or there is no /proc (not Linux): those samples are left out. */
async function readProc(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

async function readPidfile(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
