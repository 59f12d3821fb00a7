import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Sample } from '../core/signal.js';
import type { ProbeConfig, TargetConfig } from '../config/types.js';
import type { SupervisorPort } from '../supervisor/types.js';

export interface ProbeContext<P> {
  readonly probe: ProbeConfig;
  /** params, parsed by the plugin's schema. */
  readonly params: P;
  readonly target: TargetConfig;
  readonly clock: Clock;
  /** Aborted when the check's timeout passes or the engine stops. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly supervisor: SupervisorPort;
}

/**
 * A probe plugin: one file in src/probes. Pull probes implement `check`, which
 * the engine calls every `interval`; push probes implement `watch`, which
 * emits samples as things happen (a process exit). A probe may do both.
 * A failed check should return samples that say so (e.g. http_up 0) rather
 * than throw; a throw is recorded as `probe_error` 1 for that probe.
 *
 * A plugin is built per engine (src/probes/index.ts, builtinProbes()), never at
 * import: what it keeps between checks (connections, baselines) belongs to one
 * engine, and the engine calls `close` when it stops.
 */
export interface ProbePlugin<P = unknown> {
  readonly type: string;
  readonly schema: z.ZodType<P>;
  /** Signal names this probe produces, for documentation and rule validation. */
  readonly produces: readonly string[];
  check?(ctx: ProbeContext<P>): Promise<Sample[]>;
  watch?(ctx: ProbeContext<P>, emit: (samples: Sample[]) => void): () => void;
  /** Lets go of what the plugin holds (database connections); called once, after the last check. */
  close?(): Promise<void>;
}
