import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { inheritedEnv } from '../drivers/env.js';
import type { Clock } from '../core/clock.js';
import type { ProcessSpec, TargetConfig } from '../config/types.js';
import { ActionError, errorMessage, toActionError } from '../core/errors.js';
import { LogFile } from './log-file.js';
import { foreignPortHolder, portTakenAfter } from './port-holder.js';
import { pollReady } from './readiness.js';
import { sendSignal, signalGroup, signalRun } from './signals.js';
import { describeExit, newReplica, render, replicaStatus, stateOf, type Replica, type Run } from './replica.js';
import type { ExitInfo, GroupStatus, SupervisorEvents, SupervisorPort } from './types.js';

export interface SupervisorOptions {
  readonly targets: Readonly<Record<string, TargetConfig>>;
  /** Logs go to <dataDir>/logs. */
  readonly dataDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** What every child starts from before its own `env`; default: the short list exec children get (INHERITED_ENV). */
  readonly baseEnv?: () => Readonly<Record<string, string>>;
}

interface Group {
  readonly name: string;
  readonly spec: ProcessSpec;
  desired: number;
  replicas: Replica[];
  readonly logs: Map<number, LogFile>;
}

/** How long a restart waits for the old run's process group to let go of the port. */
const PORT_RELEASE_MS = 1000;

type Listeners = { [K in keyof SupervisorEvents]: Set<(e: SupervisorEvents[K]) => void> };

/**
 * Runs the processes of targets that have a `process` spec: spawn (argv, no
 * shell, each replica in its own process group), a port check and readiness,
 * retries with backoff at start, graceful stop, scaling, capped logs. A crash is reported (the 'exit' event, synchronously from the
 * child's own exit) and left alone: deciding to restart is the engine's job.
 */
export class Supervisor implements SupervisorPort {
  private readonly groups = new Map<string, Group>();
  private readonly listeners: Listeners = { exit: new Set(), spawn: new Set(), ready: new Set() };
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly baseEnv: () => Readonly<Record<string, string>>;
  private readonly logDir: string;
  private logDirMade = false;
  private closing: Promise<void> | null = null;
  private exitHooked = false;

  constructor(opts: SupervisorOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.baseEnv = opts.baseEnv ?? inheritedEnv;
    this.logDir = path.join(opts.dataDir, 'logs');
    for (const [name, target] of Object.entries(opts.targets)) {
      if (!target.process) continue;
      const spec = target.process;
      const group: Group = { name, spec, desired: spec.replicas, replicas: [], logs: new Map() };
      for (let i = 0; i < spec.replicas; i++) group.replicas.push(newReplica(spec, i));
      this.groups.set(name, group);
    }
  }

  has(target: string): boolean {
    return this.groups.has(target);
  }

  targets(): string[] {
    return [...this.groups.keys()];
  }

  status(target: string): GroupStatus | undefined {
    const g = this.groups.get(target);
    if (!g) return undefined;
    return { target, desired: g.desired, replicas: g.replicas.map((r) => replicaStatus(r)) };
  }

  on<K extends keyof SupervisorEvents>(event: K, listener: (e: SupervisorEvents[K]) => void): () => void {
    const set = this.listeners[event];
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  async start(target: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const g = this.group(target);
    this.assertOpen();
    notAborted(opts.signal, `start of ${target}`);
    const todo = g.replicas.slice(0, g.desired).filter((r) => stateOf(r) !== 'running');
    await settleAll(todo.map((r) => this.startReplica(g, r, opts.signal)));
  }

  async stop(target: string, opts: { graceMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const g = this.group(target);
    notAborted(opts.signal, `stop of ${target}`);
    const grace = opts.graceMs ?? g.spec.graceMs;
    await settleAll(g.replicas.map((r) => this.stopReplica(r, grace, opts.signal)));
  }

  async restart(target: string, opts: { index?: number; graceMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const g = this.group(target);
    this.assertOpen();
    const grace = opts.graceMs ?? g.spec.graceMs;
    const chosen = opts.index === undefined ? g.replicas.slice(0, g.desired) : [this.replica(g, opts.index)];
    notAborted(opts.signal, `restart of ${target}`);
    // One replica at a time: the others keep serving while each one restarts.
    for (const r of chosen) {
      await this.stopReplica(r, grace, opts.signal);
      await this.startReplica(g, r, opts.signal);
    }
  }

  kill(target: string, signal: NodeJS.Signals, opts: { index?: number } = {}): number {
    const g = this.group(target);
    const chosen = opts.index === undefined ? g.replicas : [this.replica(g, opts.index)];
    let sent = 0;
    // To the service's own process, as `kill <pid>` would: a SIGHUP or SIGUSR1 means something to it,
    // and would end helpers that do not handle it. If the signal ends it, its group goes with it.
    for (const r of chosen) {
      if (r.run && !r.run.done && sendSignal(r.run.child, signal)) sent++;
    }
    return sent;
  }

  async scale(target: string, replicas: number, opts: { signal?: AbortSignal } = {}): Promise<{ previous: number; current: number }> {
    const g = this.group(target);
    this.assertOpen();
    const max = g.spec.maxReplicas;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > max) {
      throw new ActionError('invalid_params', `${target}: replicas must be an integer from 1 to ${max}, got ${replicas}`);
    }
    notAborted(opts.signal, `scale of ${target}`);
    const previous = g.desired;
    if (replicas > previous) {
      for (let i = g.replicas.length; i < replicas; i++) g.replicas.push(newReplica(g.spec, i));
      g.desired = replicas;
      const added = g.replicas.slice(previous, replicas);
      try {
        await settleAll(added.map((r) => this.startReplica(g, r, opts.signal)));
      } catch (err) {
        // Half a scale-up is a replica count nobody asked for: put the group back as it was.
        g.desired = previous;
        await Promise.allSettled(added.map((r) => this.stopReplica(r, 0)));
        this.dropSurplus(g);
        throw err;
      }
    } else if (replicas < previous) {
      g.desired = replicas;
      const surplus = g.replicas.slice(replicas).reverse();
      try {
        await settleAll(surplus.map((r) => this.stopReplica(r, g.spec.graceMs, opts.signal)));
      } finally {
        this.dropSurplus(g);
      }
    }
    return { previous, current: replicas };
  }

  /** Stops every target and releases log files. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.groups.keys()].map((t) => this.stop(t)));
      for (const g of this.groups.values()) for (const f of g.logs.values()) f.close();
      process.off('exit', this.killAllNow);
    })();
    return this.closing;
  }

  private group(target: string): Group {
    const g = this.groups.get(target);
    if (!g) throw new ActionError('not_found', `no supervised process group named "${target}"`);
    return g;
  }

  private replica(g: Group, index: number): Replica {
    const r = g.replicas[index];
    if (!r) throw new ActionError('not_found', `${g.name} has no replica ${index} (it has ${g.replicas.length})`);
    return r;
  }

  private assertOpen(): void {
    if (this.closing) throw new ActionError('unavailable', 'the supervisor is shut down', { retryable: false });
  }

  private dropSurplus(g: Group): void {
    while (g.replicas.length > g.desired) {
      const last = g.replicas[g.replicas.length - 1]!;
      if (stateOf(last) !== 'stopped' && stateOf(last) !== 'crashed') break;
      g.replicas.pop();
    }
  }

  /** Joins the start in progress, if any: two callers asking for the same replica get one process. */
  private startReplica(g: Group, r: Replica, signal?: AbortSignal): Promise<void> {
    if (r.run && !r.run.done && r.run.ready && !r.run.expected) return Promise.resolve();
    if (!r.starting) {
      const abort = new AbortController();
      // Whoever starts it owns it: their abort stops the start, a joiner's only stops their wait.
      const onAbort = () => abort.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) abort.abort(signal.reason);
      const promise = this.runStart(g, r, abort.signal).finally(() => {
        signal?.removeEventListener('abort', onAbort);
        if (r.starting?.abort === abort) r.starting = null;
      });
      // Callers may stop waiting (their own abort); the outcome is still handled here.
      promise.catch(() => undefined);
      r.starting = { promise, abort };
      // The owner waits for the clean-up too, so an aborted start leaves nothing behind when it rejects.
      return promise;
    }
    return waitOrAbort(r.starting.promise, signal, `start of ${g.name}[${r.index}]`);
  }

  private async runStart(g: Group, r: Replica, signal: AbortSignal): Promise<void> {
    const { attempts, initialMs, maxMs } = g.spec.restartBackoff;
    const label = `${g.name}[${r.index}]`;
    let failures = 0;
    let run: Run | null = null;
    const restarting = r.run !== null;
    try {
      // A process still on its way out (a stop in progress) holds the port the new one needs.
      if (r.run && !r.run.done) await waitOrAbort(r.run.exited, signal, `start of ${label}`);
      for (;;) {
        signal.throwIfAborted();
        r.backoff = false;
        await this.assertPortFree(r, label, restarting || failures > 0, signal);
        run = this.spawnRun(g, r);
        const outcome = await this.awaitReady(g, r, run, signal);
        if (outcome === 'ready') return;
        failures++;
        const exit = run.error === null ? describeExit(r.lastExit) : `failed to spawn (${run.error})`;
        if (failures > attempts) {
          r.rest = 'crashed';
          throw new ActionError('failed', `${label} ${exit} before it was ready; gave up after ${failures} attempt${failures === 1 ? '' : 's'}`, { retryable: false });
        }
        r.backoff = true;
        const delay = Math.min(initialMs * 2 ** (failures - 1), maxMs);
        this.log.warn({ target: g.name, index: r.index, attempt: failures, delayMs: delay }, `${label} ${exit} during start; retrying`);
        await this.clock.sleep(delay, signal);
      }
    } catch (err) {
      r.backoff = false;
      if (!signal.aborted) throw toActionError(err);
      // An aborted start leaves nothing half-up behind.
      if (run && !run.done && r.run === run) await this.terminate(r, 0);
      if (r.starting?.abort.signal === signal || r.starting === null) r.rest = 'stopped';
      throw new ActionError('aborted', `start of ${label} was aborted`, { cause: err, retryable: false });
    }
  }

  /** Resolves 'ready', or 'exited' if the process ended first; throws on timeout or abort (killing the process). */
  private async awaitReady(g: Group, r: Replica, run: Run, signal: AbortSignal): Promise<'ready' | 'exited'> {
    if (run.done) return 'exited';
    const ready = g.spec.ready;
    if (ready) {
      const stopPolling = new AbortController();
      const onAbort = () => stopPolling.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      void run.exited.then(() => stopPolling.abort(new Error('exited')));
      try {
        await pollReady(render(ready.url, r), { timeoutMs: ready.timeoutMs, intervalMs: ready.intervalMs, clock: this.clock, signal: stopPolling.signal });
      } catch (err) {
        if (run.done && !signal.aborted) return 'exited';
        if (!signal.aborted) {
          // It never became ready, so it has no requests to drain: no grace needed.
          await this.terminate(r, 0);
          r.rest = 'crashed';
          const e = toActionError(err);
          throw new ActionError(e.code, `${g.name}[${r.index}]: ${e.message}`, { cause: err });
        }
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      await this.assertOwnsPort(r, run);
    } else if (!(await run.spawned)) {
      return 'exited';
    }
    if (run.done) return 'exited';
    run.ready = true;
    this.emit('ready', { target: g.name, index: r.index, pid: run.pid, at: this.clock.now() });
    return 'ready';
  }

  private spawnRun(g: Group, r: Replica): Run {
    const spec = g.spec;
    if (!this.logDirMade) {
      mkdirSync(this.logDir, { recursive: true });
      this.logDirMade = true;
    }
    // Not the engine's whole environment: it holds the API's superadmin secrets (MEDIC_*), which a service must never see.
    const env: Record<string, string> = { ...this.baseEnv() };
    for (const [k, v] of Object.entries(spec.env)) env[k] = render(v, r);
    const command = spec.command === 'node' ? process.execPath : spec.command;
    const child = spawn(command, spec.args.map((a) => render(a, r)), {
      cwd: spec.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (and session), so a stop reaches everything it started; see terminate().
      detached: true,
    });
    r.spawns++;
    this.hookEngineExit();
    const out = this.logFile(g, r.index);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => out.write(chunk));
      stream?.on('error', () => undefined);
    }

    let finish!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((resolve) => (finish = resolve));
    let spawnedOk!: (ok: boolean) => void;
    const spawned = new Promise<boolean>((resolve) => (spawnedOk = resolve));
    const run: Run = {
      child, pid: child.pid ?? -1, startedAt: this.clock.now(), exited, spawned,
      error: null, ready: false, expected: false, done: false,
    };
    r.run = run;
    child.once('spawn', () => spawnedOk(true));

    const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
      if (run.done) return;
      run.done = true;
      spawnedOk(false);
      // The replica is its process group: helpers its leader left behind must not keep its port or its work.
      if (run.pid >= 0) signalGroup(run.pid, 'SIGKILL');
      const info: ExitInfo = { code, signal: sig, at: this.clock.now(), expected: run.expected };
      // State first, event second: a listener that restarts from inside the event must see the replica as down.
      r.lastExit = info;
      r.rest = info.expected ? 'stopped' : 'crashed';
      finish(info);
      if (run.pid >= 0) this.emit('exit', { target: g.name, index: r.index, pid: run.pid, ...info });
      if (!info.expected) this.log.warn({ target: g.name, index: r.index, pid: run.pid, code, signal: sig }, `${g.name}[${r.index}] ${describeExit(info)}`);
    };
    child.once('exit', onExit);
    child.on('error', (err) => {
      this.log.error({ target: g.name, index: r.index, err: errorMessage(err) }, `${g.name}[${r.index}]: ${errorMessage(err)}`);
      // Without a pid it never ran, and Node may never send 'exit' for it.
      if (child.pid === undefined) {
        run.error = errorMessage(err);
        onExit(null, null);
      }
    });

    if (child.pid !== undefined) {
      this.log.info({ target: g.name, index: r.index, pid: child.pid, port: r.port }, `${g.name}[${r.index}] spawned`);
      this.emit('spawn', { target: g.name, index: r.index, pid: child.pid, at: run.startedAt });
    }
    return run;
  }

  private async stopReplica(r: Replica, graceMs: number, signal?: AbortSignal): Promise<void> {
    if (r.starting) {
      r.starting.abort.abort(new Error('stopped'));
      r.starting = null;
    }
    r.backoff = false;
    await this.terminate(r, graceMs, signal);
    r.rest = 'stopped';
  }

  /**
   * SIGTERM, up to `graceMs` for the process to leave, then SIGKILL, each to
   * its whole process group; resolves once the leader has exited (what is left
   * of the group is SIGKILLed then). An abort cuts the grace short (SIGKILL at once), since
   * whoever aborts has run out of time.
   */
  private async terminate(r: Replica, graceMs: number, signal?: AbortSignal): Promise<void> {
    const run = r.run;
    if (!run || run.done) return;
    run.expected = true;
    if (graceMs > 0 && !signal?.aborted) {
      signalRun(run, 'SIGTERM');
      // A SIGSTOPped process would hold the SIGTERM until continued.
      signalRun(run, 'SIGCONT');
      const timer = new AbortController();
      const onAbort = () => timer.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const inTime = await Promise.race([
        run.exited.then(() => true),
        this.clock.sleep(graceMs, timer.signal).then(() => false, () => false),
      ]);
      timer.abort();
      signal?.removeEventListener('abort', onAbort);
      if (!inTime) {
        this.log.warn({ pid: run.pid }, `pid ${run.pid} ignored SIGTERM for ${graceMs}ms; sending SIGKILL`);
        signalRun(run, 'SIGKILL');
      }
    } else {
      signalRun(run, 'SIGKILL');
    }
    await run.exited;
    if (signal?.aborted) throw new ActionError('aborted', `stop of pid ${run.pid} was aborted (it was killed)`, { retryable: false });
  }

  /**
   * A port someone else already holds would let that someone answer our readiness check while our
   * process dies of EADDRINUSE: refuse the start instead, naming the holder. After a run of our
   * own, its group may take a moment to let go of the port, so a restart waits a little first.
   */
  private async assertPortFree(r: Replica, label: string, afterOwnRun: boolean, signal: AbortSignal): Promise<void> {
    if (r.port === null) return;
    const holder = await portTakenAfter(r.port, afterOwnRun ? PORT_RELEASE_MS : 0, this.clock, signal);
    if (holder === null) return;
    r.rest = 'crashed';
    const why = `${label}: port ${r.port} is already in use (${holder})`;
    throw new ActionError('failed', `${why}; not started`, { retryable: false });
  }

  /** A 2xx from a process outside the replica's group is not the replica being ready (best effort: Linux). */
  private async assertOwnsPort(r: Replica, run: Run): Promise<void> {
    if (r.port === null || run.done || run.pid < 0) return;
    const holder = await foreignPortHolder(r.port, run.pid);
    if (holder === null) return;
    await this.terminate(r, 0);
    r.rest = 'crashed';
    const why = `readiness on port ${r.port} was answered by another process (${holder}), not by pid ${run.pid}`;
    throw new ActionError('failed', `${why}; not started`, { retryable: false });
  }

  /**
   * When the engine exits without close() (process.exit, an uncaught error), its children must not
   * outlive it: they run in their own sessions, so nothing else would end them. A kill -9 of the
   * engine runs no code at all; its children are then left running (see README, Operations).
   */
  private hookEngineExit(): void {
    if (this.exitHooked) return;
    this.exitHooked = true;
    process.on('exit', this.killAllNow);
  }

  private readonly killAllNow = (): void => {
    for (const g of this.groups.values()) {
      for (const r of g.replicas) if (r.run && !r.run.done) signalRun(r.run, 'SIGKILL');
    }
  };

  private logFile(g: Group, index: number): LogFile {
    let f = g.logs.get(index);
    if (!f) {
      const file = path.join(this.logDir, `${g.name}.${index}.log`);
      f = new LogFile(file, g.spec.logMaxBytes, (err) => this.log.error({ file, err: errorMessage(err) }, 'cannot write process output'));
      g.logs.set(index, f);
    }
    return f;
  }

  /** A listener that throws (or rejects) is logged and never reaches the supervisor. */
  private emit<K extends keyof SupervisorEvents>(event: K, e: SupervisorEvents[K]): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        const result: unknown = listener(e);
        if (result instanceof Promise) result.catch((err: unknown) => this.listenerFailed(event, err));
      } catch (err) {
        this.listenerFailed(event, err);
      }
    }
  }

  private listenerFailed(event: string, err: unknown): void {
    this.log.error({ event, err: errorMessage(err) }, `a supervisor '${event}' listener failed`);
  }
}


/** An operation asked for with an already-aborted signal does nothing at all. */
function notAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new ActionError('aborted', `${what} was aborted before it began`, { retryable: false });
}

function waitOrAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new ActionError('aborted', `${what} was aborted`, { retryable: false }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ActionError('aborted', `${what} was aborted`, { retryable: false }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Waits for every operation (none is left running unobserved) and throws the first failure. */
async function settleAll(ops: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(ops);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw toActionError(failed.reason);
}
