import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Sample, Signal } from '../core/signal.js';
import type { ProbeConfig, TargetConfig } from '../config/types.js';
import type { ProbeContext, ProbePlugin } from '../probes/types.js';
import type { SupervisorPort } from '../supervisor/types.js';

/** How long past its timeout a check may take to honour the abort before it is given up. */
const ABANDON_MS = 1_000;

interface Scheduled {
  readonly probe: ProbeConfig;
  readonly plugin: ProbePlugin;
  readonly params: unknown;
  inFlight: Promise<void> | null;
  unwatch: (() => void) | null;
}

/**
 * Runs every configured probe on its interval (never two checks of one probe
 * at once), subscribes push probes, and turns what they return into signals.
 * `checkNow` lets the executor ask for fresh evidence instead of waiting for
 * the next tick when it verifies a fix.
 */
export class ProbeRunner {
  private readonly scheduled: Scheduled[] = [];
  private readonly stopper = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly deps: {
      probes: readonly ProbeConfig[];
      plugins: ReadonlyMap<string, ProbePlugin>;
      targets: Readonly<Record<string, TargetConfig>>;
      supervisor: SupervisorPort;
      clock: Clock;
      log: Logger;
      emit: (signals: Signal[]) => void;
    },
  ) {
    for (const probe of deps.probes) {
      const plugin = deps.plugins.get(probe.type);
      if (!plugin) throw new Error(`probe ${probe.name}: unknown type ${probe.type}`);
      this.scheduled.push({ probe, plugin, params: plugin.schema.parse(probe.params), inFlight: null, unwatch: null });
    }
  }

  start(): void {
    for (const s of this.scheduled) {
      if (s.plugin.watch) {
        s.unwatch = s.plugin.watch(this.context(s, this.stopper.signal), (samples) => this.publish(s, samples));
      }
      if (s.plugin.check) this.loops.push(this.loop(s));
    }
  }

  /** Stops the checks, then closes every plugin: the engine's set (builtinProbes) is its own. */
  async stop(): Promise<void> {
    if (this.stopper.signal.aborted) return;
    this.stopper.abort();
    for (const s of this.scheduled) s.unwatch?.();
    await Promise.allSettled(this.loops);
    this.loops = [];
    const plugins = new Set(this.deps.plugins.values());
    const closing = [...plugins].map((p) => p.close?.());
    for (const r of await Promise.allSettled(closing)) {
      if (r.status === 'rejected') this.deps.log.warn({ err: errorMessage(r.reason) }, 'probe plugin did not close');
    }
  }

  /** Runs every pull probe of the target now (or joins the check already running) and waits for it. */
  async checkNow(target: string): Promise<void> {
    await Promise.all(this.scheduled.filter((s) => s.probe.target === target && s.plugin.check).map((s) => this.runOnce(s)));
  }

  private async loop(s: Scheduled): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const started = this.deps.clock.now();
      await this.runOnce(s);
      // Keep the cadence from the start of the check; a slow check delays the next one, never overlaps it.
      const wait = Math.max(0, started + s.probe.intervalMs - this.deps.clock.now());
      try {
        await this.deps.clock.sleep(wait, signal);
      } catch {
        return;
      }
    }
  }

  private runOnce(s: Scheduled): Promise<void> {
    if (s.inFlight) return s.inFlight;
    s.inFlight = this.check(s).finally(() => {
      s.inFlight = null;
    });
    return s.inFlight;
  }

  private async check(s: Scheduled): Promise<void> {
    const timeout = new AbortController();
    const timer = this.deps.clock.sleep(s.probe.timeoutMs, timeout.signal).then(
      () => timeout.abort(new DOMException(`probe ${s.probe.name} timed out after ${s.probe.timeoutMs} ms`, 'TimeoutError')),
      () => {},
    );
    const signal = AbortSignal.any([timeout.signal, this.stopper.signal]);
    // A plugin that ignores its abort must not hold the probe forever: past the timeout
    // (and a short grace) the check is given up, and whatever it returns later is dropped.
    let done = false;
    let cancelGrace = () => {};
    const givenUp = new Promise<never>((_res, reject) => {
      timeout.signal.addEventListener('abort', () => {
        if (done) return;
        const grace = new AbortController();
        cancelGrace = () => grace.abort();
        this.deps.clock.sleep(ABANDON_MS, grace.signal).then(() => reject(timeout.signal.reason), () => {});
      }, { once: true });
    });
    givenUp.catch(() => {});
    try {
      const samples = await Promise.race([s.plugin.check!(this.context(s, signal)), givenUp]);
      if (!this.stopper.signal.aborted) this.publish(s, samples);
    } catch (err) {
      if (this.stopper.signal.aborted) return;
      this.deps.log.warn({ probe: s.probe.name, err: errorMessage(err) }, 'probe check failed');
      this.publish(s, [{ name: 'probe_error', value: 1, labels: { probe: s.probe.name } }]);
    } finally {
      done = true;
      cancelGrace();
      timeout.abort();
      await timer;
    }
  }

  private publish(s: Scheduled, samples: readonly Sample[]): void {
    if (samples.length === 0) return;
    const at = this.deps.clock.now();
    this.deps.emit(samples.map((x) => ({
      source: s.probe.name,
      target: s.probe.target,
      name: x.name,
      value: x.value,
      labels: x.labels ?? {},
      at,
    })));
  }

  private context(s: Scheduled, signal: AbortSignal): ProbeContext<unknown> {
    const target = this.deps.targets[s.probe.target];
    if (!target) throw new Error(`probe ${s.probe.name}: unknown target ${s.probe.target}`);
    return {
      probe: s.probe,
      params: s.params,
      target,
      clock: this.deps.clock,
      signal,
      log: this.deps.log.child({ probe: s.probe.name }),
      supervisor: this.deps.supervisor,
    };
  }
}
