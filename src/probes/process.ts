import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { replicaLabels } from '../core/fingerprint.js';
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
 *
 * A group is reported twice: for the whole group, without labels (process_up
 * 1 only when every desired replica is up, RSS summed, CPU of the busiest,
 * process_replicas_running), and per replica with a `replica` label
 * (process_up, process_rss_mb, process_cpu_percent), so that the crash and
 * memory rules judge each replica and its fix restarts only that one.
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
        if (e.target === target && !e.expected) {
          emit([{ name: 'process_up', value: 0 }, { name: 'process_up', value: 0, labels: replicaOf(e.index) }]);
        }
      });
      const offReady = ctx.supervisor.on('ready', (e) => {
        if (e.target !== target) return;
        const status = ctx.supervisor.status(target);
        emit([{ name: 'process_up', value: status ? upValue(status) : 1 }, { name: 'process_up', value: 1, labels: replicaOf(e.index) }]);
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
        if (alive) samples.push(...groupUsage([...(await usage(cpuSeen, key, [pid], ctx.clock.now())).values()]));
        return samples;
      }
      const status = ctx.supervisor.status(ctx.probe.target);
      if (!status) throw new Error(`target "${ctx.probe.target}" has no supervised process and the probe names no pidfile`);
      const running = status.replicas.filter((r) => r.state === 'running' && r.pid !== null);
      // Stopped on purpose (process.stop, the emergency shutdown): not "down". Reporting
      // process_up 0 here would make the crash rule start again what a person stopped.
      if (status.replicas.length > 0 && status.replicas.every((r) => r.state === 'stopped' && (r.lastExit === null || r.lastExit.expected))) {
        return [{ name: 'process_stopped', value: 1 }, { name: 'process_replicas_running', value: 0 }];
      }
      const used = await usage(cpuSeen, key, running.map((r) => r.pid!), ctx.clock.now());
      const perReplica = status.replicas.slice(0, status.desired).flatMap((r): Sample[] => {
        const labels = replicaOf(r.index);
        const u = r.pid === null ? undefined : used.get(r.pid);
        return [
          { name: 'process_up', value: UP_STATES.includes(r.state) ? 1 : 0, labels },
          ...(u?.rssMb !== undefined ? [{ name: 'process_rss_mb', value: u.rssMb, labels }] : []),
          ...(u?.cpu !== undefined ? [{ name: 'process_cpu_percent', value: u.cpu, labels }] : []),
        ];
      });
      return [
        { name: 'process_up', value: upValue(status) },
        { name: 'process_replicas_running', value: running.length },
        ...groupUsage([...used.values()]),
        ...perReplica,
      ];
    },
  };
}

function replicaOf(index: number): Record<string, string> {
  return replicaLabels(String(index));
}

function upValue(status: GroupStatus): number {
  const wanted = status.replicas.slice(0, status.desired);
  return wanted.length === status.desired && wanted.every((r) => UP_STATES.includes(r.state)) ? 1 : 0;
}

interface Usage {
  readonly rssMb?: number;
  /** Share of one core, in percent. */
  readonly cpu?: number;
}

/**
 * Memory and CPU per pid. CPU needs two looks at a pid, so a pid seen for the
 * first time gives none.
 */
async function usage(cpuSeen: CpuSeen, key: string, pids: readonly number[], now: number): Promise<Map<number, Usage>> {
  const previous = cpuSeen.get(key) ?? new Map<number, { ticks: number; at: number }>();
  const next = new Map<number, { ticks: number; at: number }>();
  const out = new Map<number, Usage>();
  for (const pid of pids) {
    const [kb, ticks] = await Promise.all([readRssKb(pid), readCpuTicks(pid)]);
    let cpu: number | undefined;
    if (ticks !== null) {
      next.set(pid, { ticks, at: now });
      const before = previous.get(pid);
      if (before && now > before.at) {
        const percent = (((ticks - before.ticks) / TICKS_PER_SECOND) * 1000 * 100) / (now - before.at);
        cpu = Math.round(Math.max(0, percent) * 10) / 10;
      }
    }
    out.set(pid, { ...(kb !== null ? { rssMb: kb / 1024 } : {}), ...(cpu !== undefined ? { cpu } : {}) });
  }
  // Only pids still present are kept, so the map cannot grow with every restart.
  cpuSeen.set(key, next);
  return out;
}

/** RSS summed over the pids (what the group costs) and CPU of the busiest pid (a hot replica is the problem, not the average). */
function groupUsage(used: readonly Usage[]): Sample[] {
  const rss = used.flatMap((u) => (u.rssMb === undefined ? [] : [u.rssMb]));
  const cpu = used.flatMap((u) => (u.cpu === undefined ? [] : [u.cpu]));
  const samples: Sample[] = [];
  if (rss.length > 0) samples.push({ name: 'process_rss_mb', value: rss.reduce((a, b) => a + b, 0) });
  if (cpu.length > 0) samples.push({ name: 'process_cpu_percent', value: Math.max(...cpu) });
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
