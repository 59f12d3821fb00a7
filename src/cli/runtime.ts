import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { CompiledConfig } from '../config/types.js';
import { ConfigError } from '../config/errors.js';
import { builtinActions } from '../actions/index.js';
import { buildServer, type MedicServer } from '../api/server.js';
import { systemClock } from '../drivers/clock.js';
import { Engine } from '../engine/engine.js';
import { narrate } from '../engine/narrator.js';
import { createMetrics } from '../metrics/metrics.js';
import { createNotifier } from '../notify/notifier.js';
import { builtinProbes } from '../probes/index.js';
import { loadRunbooks } from '../runbooks/load.js';
import { openSqliteStore } from '../store/database.js';
import { Supervisor } from '../supervisor/supervisor.js';

export interface Runtime {
  readonly engine: Engine;
  readonly server: MedicServer;
  readonly supervisor: Supervisor;
  /** Where the API listens, e.g. http://127.0.0.1:7070. */
  readonly url: string;
  close(): Promise<void>;
}

export const registries = { probes: builtinProbes, actions: builtinActions };

/**
 * Builds and starts everything `serve` and `demo` run, in dependency order,
 * and returns one close() that stops it in reverse: API first (no new
 * requests), then the engine, then the supervised processes, then the store.
 */
export interface RuntimeOptions {
  readonly log: Logger;
  readonly narrate?: NodeJS.WritableStream;
  readonly clock?: Clock;
  /** MEDIC_BOOTSTRAP_TOKEN, read by the CLI entry: made a superadmin token when the store has none. */
  readonly bootstrapToken?: string;
}

export async function startRuntime(config: CompiledConfig, opts: RuntimeOptions): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const loaded = loadRunbooks(config.runbookPaths, { actions: builtinActions, settleMs: config.policy.settleMs });
  if (loaded.errors) throw loaded.errors;
  mkdirSync(config.storage.dataDir, { recursive: true });
  const store = await openSqliteStore({ dataDir: config.storage.dataDir });
  const supervisor = new Supervisor({ targets: config.targets, dataDir: config.storage.dataDir, clock, log: opts.log.child({ part: 'supervisor' }) });
  const notifier = createNotifier(config.notify.channels, opts.log.child({ part: 'notify' }), { clock });
  const engine = new Engine({
    config, runbooks: loaded.runbooks, store, clock, log: opts.log,
    probePlugins: builtinProbes, actionPlugins: builtinActions, supervisor, notifier,
  });
  const stopNarrating = opts.narrate ? narrate(engine.events, opts.narrate, () => clock.now()) : () => {};
  const metrics = createMetrics(engine, { notifier });
  const server = buildServer({ engine, clock, bodyLimit: config.api.bodyLimit, log: opts.log.child({ part: 'api' }), metrics, notifier });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close().catch(() => undefined);
    await engine.stop();
    await supervisor.close();
    await notifier.close().catch(() => undefined);
    metrics.close();
    stopNarrating();
    await store.close();
  };
  try {
    await engine.start();
    if (opts.bootstrapToken) await server.medic.tokens.bootstrap(opts.bootstrapToken);
    const address = await server.listen({ host: config.server.host, port: config.server.port });
    return { engine, server, supervisor, url: address, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Prints a config or runbook error the way a person can act on, and returns the exit code. */
export function reportError(err: unknown, out: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof ConfigError) {
    out.write(`${err.lines().join('\n')}\n`);
    return 2;
  }
  out.write(`medic: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
