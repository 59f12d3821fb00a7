/**
 * The narrow port that probes, actions and the engine use to reach supervised
 * processes. The implementation is ./supervisor.ts.
 */
export const REPLICA_STATES = ['stopped', 'starting', 'running', 'stopping', 'backoff', 'crashed'] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

export interface ReplicaStatus {
  readonly index: number;
  readonly port: number | null;
  readonly pid: number | null;
  readonly state: ReplicaState;
  readonly startedAt: number | null;
  readonly restarts: number;
  readonly lastExit: ExitInfo | null;
}

export interface GroupStatus {
  readonly target: string;
  readonly desired: number;
  readonly replicas: readonly ReplicaStatus[];
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: number;
  /** True when Medic itself stopped it (restart, stop, scale down): not a crash. */
  readonly expected: boolean;
}

export interface SupervisorEvents {
  /** A replica's process ended. Emitted from the child's own exit event, never from a poll. */
  exit: { readonly target: string; readonly index: number; readonly pid: number } & ExitInfo;
  /** A replica was spawned. */
  spawn: { readonly target: string; readonly index: number; readonly pid: number; readonly at: number };
  /** A replica passed its readiness check (or was spawned, when it has none). */
  ready: { readonly target: string; readonly index: number; readonly pid: number; readonly at: number };
}

export interface SupervisorPort {
  has(target: string): boolean;
  targets(): string[];
  status(target: string): GroupStatus | undefined;
  /** Start the desired replicas that are not running; resolves when they are ready. */
  start(target: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** SIGTERM, grace, SIGKILL to every replica's process group; resolves when all have exited. */
  stop(target: string, opts?: { graceMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Stop (if running) and start again every replica, or one; resolves when ready. */
  restart(target: string, opts?: { index?: number; graceMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Send a signal to every running replica's own process (or one's); returns how many were signalled. */
  kill(target: string, signal: NodeJS.Signals, opts?: { index?: number }): number;
  /** Change the number of replicas; new ones are ready when it resolves. */
  scale(target: string, replicas: number, opts?: { signal?: AbortSignal }): Promise<{ previous: number; current: number }>;
  on<K extends keyof SupervisorEvents>(event: K, listener: (e: SupervisorEvents[K]) => void): () => void;
}
