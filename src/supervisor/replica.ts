import type { ChildProcess } from 'node:child_process';
import type { ProcessSpec } from '../config/types.js';
import type { ExitInfo, ReplicaState, ReplicaStatus } from './types.js';

// The supervisor's bookkeeping for one replica, and pure functions over it.

/** One spawned process. A replica has at most one live Run at a time. */
export interface Run {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  readonly exited: Promise<ExitInfo>;
  /** true once the OS reports the process spawned; false if it never did. */
  readonly spawned: Promise<boolean>;
  /** Why the spawn itself failed (ENOENT, EACCES, ...). */
  error: string | null;
  ready: boolean;
  /** Set before Medic signals it, so its exit is reported as expected rather than a crash. */
  expected: boolean;
  done: boolean;
}

/**
 * A replica's state is derived, not stored, so it can never disagree with the
 * process it describes:
 *
 *   stopped ─start─► starting ─ready─► running ─exit─► crashed
 *      ▲              │    ▲             │               │
 *      │         exit │    │ retry       │ stop          │ start
 *      │              ▼    │             ▼               ▼
 *      │             backoff           stopping       starting
 *      └────────────── exit ───────────────┘
 *
 * A start that runs out of attempts leaves the replica 'crashed'.
 */
export interface Replica {
  readonly index: number;
  readonly port: number | null;
  run: Run | null;
  /** The start in progress (spawn, readiness, retries), shared by everyone who asks for one. */
  starting: { readonly promise: Promise<void>; readonly abort: AbortController } | null;
  backoff: boolean;
  /** What a replica without a live process is. */
  rest: 'stopped' | 'crashed';
  spawns: number;
  lastExit: ExitInfo | null;
}

export function newReplica(spec: ProcessSpec, index: number): Replica {
  return {
    index,
    port: spec.basePort === null ? null : spec.basePort + index,
    run: null,
    starting: null,
    backoff: false,
    rest: 'stopped',
    spawns: 0,
    lastExit: null,
  };
}

export function stateOf(r: Replica): ReplicaState {
  const run = r.run;
  if (run && !run.done) return run.expected ? 'stopping' : run.ready ? 'running' : 'starting';
  if (r.starting) return r.backoff ? 'backoff' : 'starting';
  return r.rest;
}

export function replicaStatus(r: Replica): ReplicaStatus {
  const live = r.run && !r.run.done ? r.run : null;
  return {
    index: r.index,
    port: r.port,
    pid: live?.pid ?? null,
    state: stateOf(r),
    startedAt: live?.startedAt ?? null,
    restarts: Math.max(0, r.spawns - 1),
    lastExit: r.lastExit,
  };
}

/** `{{port}}` and `{{replica}}` (spaces allowed inside the braces). */
export function render(text: string, r: Replica): string {
  return text.replace(/\{\{\s*(port|replica)\s*\}\}/g, (_m, key: string) =>
    key === 'port' ? (r.port === null ? '' : String(r.port)) : String(r.index));
}

export function describeExit(info: ExitInfo | null): string {
  if (!info) return 'exited';
  if (info.signal) return `was killed by ${info.signal}`;
  return info.code === null ? 'failed to spawn' : `exited with code ${info.code}`;
}
