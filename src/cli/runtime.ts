import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { CompiledConfig } from '../config/types.js';
import { ConfigError } from '../config/errors.js';
import { builtinActions } from '../actions/index.js';
import { buildServer, type MedicServer } from '../api/server.js';
import { systemClock } from '../drivers/clock.js';
import { engineApi, type EngineApi } from '../engine/api-port.js';
import { Engine } from '../engine/engine.js';
import { narrate } from '../engine/narrator.js';
import { createMetrics } from '../metrics/metrics.js';
import { createNotifier } from '../notify/notifier.js';
import { builtinProbes } from '../probes/index.js';
import { loadAuditKeys } from '../audit/key-file.js';
import { loadRunbooks } from '../runbooks/load.js';
import { openSqliteStore, type KyselyStore } from '../store/database.js';
import { acquireStoreLock } from '../store/lock.js';
import { Supervisor } from '../supervisor/supervisor.js';

export interface Runtime {
  readonly engine: Engine;
  /** What the CLI's in-process commands ask of the engine (the same port the API has). */
  readonly api: EngineApi;
  readonly server: MedicServer;
  readonly supervisor: Supervisor;
  /** Where the API listens, e.g. http://127.0.0.1:7070. */
  readonly url: string;
  /** Where the audit key came from (never the key), its id, and whether this start made it. */
  readonly auditKey: { readonly source: string; readonly id: string; readonly created: boolean };
  close(): Promise<void>;
}

/** The plugins, for checking config and runbooks (validate): a fresh set, as for an engine. */
export function registries() {
  return { probes: builtinProbes(), actions: builtinActions };
}

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
  /** MEDIC_AUDIT_KEY, read by the CLI entry; without it the key file in the data directory. */
  readonly auditKey?: string;
}

export async function startRuntime(config: CompiledConfig, opts: RuntimeOptions): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const loaded = loadRunbooks(config.runbookPaths, { actions: builtinActions, settleMs: config.policy.settleMs });
  if (loaded.errors) throw loaded.errors;
  const { store, auditKey } = await openEngineStore(config, opts, clock);
  const supervisor = new Supervisor({ targets: config.targets, dataDir: config.storage.dataDir, clock, log: opts.log.child({ part: 'supervisor' }) });
  const notifier = createNotifier(config.notify.channels, opts.log.child({ part: 'notify' }), { clock });
  const engine = new Engine({
    config, runbooks: loaded.runbooks, store, clock, log: opts.log,
    probePlugins: builtinProbes(), actionPlugins: builtinActions, supervisor, notifier,
  });
  const stopNarrating = opts.narrate ? narrate(engine.events, opts.narrate, () => clock.now()) : () => {};
  const api = engineApi(engine);
  const metrics = createMetrics(api, { notifier });
  const server = buildServer({ engine: api, clock, bodyLimit: config.api.bodyLimit, log: opts.log.child({ part: 'api' }), metrics, notifier });
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
    // The last entries are signed before the store closes: the head file then vouches for all of them.
    const seal = await store.audit.seal().catch((err: unknown) => ({ problem: (err as Error).message }));
    if (seal.problem) opts.log.error({ problem: seal.problem }, 'audit head not signed at shutdown');
    await store.close();
  };
  try {
    await engine.start();
    if (opts.bootstrapToken) await server.medic.tokens.bootstrap(opts.bootstrapToken);
    const address = await server.listen({ host: config.server.host, port: config.server.port });
    return { engine, api, server, supervisor, url: address, auditKey, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The store as one engine holds it: the one-engine lock first (before the key
 * file is made or a migration runs), then the audit key, then the database,
 * and a signed head at once, so the log is witnessed from the first entry on.
 */
async function openEngineStore(config: CompiledConfig, opts: RuntimeOptions, clock: Clock): Promise<{
  store: KyselyStore; auditKey: Runtime['auditKey'];
}> {
  const dataDir = config.storage.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const lock = acquireStoreLock(dataDir, { pid: process.pid, host: hostname(), since: clock.now() });
  let store: KyselyStore;
  let keys: NonNullable<ReturnType<typeof loadAuditKeys>>;
  try {
    keys = loadAuditKeys(dataDir, { env: opts.auditKey, create: true })!;
    store = await openSqliteStore({
      dataDir, lock, audit: { keys: keys.keyring, checkpointEvery: config.audit.checkpointEvery, now: () => clock.now() },
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  const seal = await store.audit.seal().catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // The engine still starts: remediation matters more than the record, and verify keeps the evidence.
  if (seal.problem) {
    opts.log.error({ problem: seal.problem }, 'audit log does not match its signed head: run medic audit verify');
  }
  return { store, auditKey: { source: keys.source, id: keys.keyring.currentId, created: keys.created } };
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
