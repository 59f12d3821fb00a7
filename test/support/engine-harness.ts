import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../../src/core/clock.js';
import { ActionError } from '../../src/core/errors.js';
import type { ActionPlugin, NotifierPort, Notification } from '../../src/actions/types.js';
import { builtinActions } from '../../src/actions/index.js';
import { compileConfig } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/drivers/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvents, EventName } from '../../src/core/events.js';
import { silentLogger } from '../../src/drivers/log.js';
import { FakeClock } from './fake-clock.js';
import { builtinProbes } from '../../src/probes/index.js';
import { compileRunbookText } from '../../src/runbooks/compile.js';
import { openSqliteStore } from '../../src/store/database.js';
import type { Store } from '../../src/store/types.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

/**
 * A real engine on an in-memory store, with no probes: the test plays the
 * world. `world` values are emitted as signals every 20 ms for target `web`,
 * and `record` actions log their calls and may change the world, as a fix would
 * (with `ms`, a record step takes that long on the engine's clock).
 *
 * Time is fake by default: the engine runs on a FakeClock that the harness moves on by 20 ms per
 * turn of the event loop (feeding the world at each step), so a 2 s verify or a 150 ms step timeout
 * takes a few real milliseconds, and a duration read from a record is exact. `time: 'real'` runs on
 * the system clock; a test that moves time itself passes its own `clock`.
 */
export interface Harness {
  readonly engine: Engine;
  /** The engine's clock. */
  readonly clock: Clock;
  readonly world: Record<string, number>;
  readonly calls: { action: string; phase: 'execute' | 'rollback'; params: unknown }[];
  readonly notifications: Notification[];
  next<K extends EventName>(event: K, pred?: (e: EngineEvents[K]) => boolean, timeoutMs?: number): Promise<EngineEvents[K]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly config: string;
  readonly runbooks: readonly string[];
  /** What the `record` action does to the world when it runs. */
  readonly onRecord?: (params: Record<string, unknown>, world: Record<string, number>) => void;
  readonly target?: string;
  /** Also deliver through this notifier (the harness records every notification either way). */
  readonly notifier?: NotifierPort;
  /** Default: silent. */
  readonly log?: Logger;
  /** A real supervisor for targets with a `process` (default: none supervised). */
  readonly supervisor?: (config: CompiledConfig) => SupervisorPort;
  /** Keep the store in this directory (a restart test opens it again); default: in memory. */
  readonly dataDir?: string;
  /** Runs on the fresh store before the engine starts: the state a previous engine left behind. */
  readonly prepare?: (store: Store) => Promise<void>;
  /** A clock the test moves itself; the world is then fed every 20 ms of real time. */
  readonly clock?: Clock;
  /** Without a clock: 'fake' (default, moved by the harness) or 'real' (the system clock). */
  readonly time?: 'fake' | 'real';
  /** Emit the world's values every 20 ms (default true). */
  readonly feed?: boolean;
}

const recordParams = z.looseObject({});

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const world: Record<string, number> = {};
  const calls: Harness['calls'] = [];
  const notifications: Notification[] = [];
  const record: ActionPlugin<Record<string, unknown>> = {
    type: 'record', schema: recordParams, idempotent: true, mutates: true,
    plan: async (ctx) => ({ summary: `record ${JSON.stringify(ctx.params)}` }),
    execute: async (ctx) => {
      calls.push({ action: 'record', phase: 'execute', params: ctx.params });
      opts.onRecord?.(ctx.params, world);
      if (ctx.params['fail'] === true) throw new ActionError('failed', `record ${String(ctx.params['id'] ?? '')} failed as told`, { retryable: false });
      // A change that takes its time (a restart), on the engine's clock.
      if (typeof ctx.params['ms'] === 'number') await ctx.clock.sleep(ctx.params['ms'], ctx.signal);
      return { summary: 'recorded', rollbackState: { before: { ...world } } };
    },
    rollback: async (ctx) => {
      calls.push({ action: 'record', phase: 'rollback', params: ctx.params });
      return { summary: 'undone' };
    },
  };
  // Waits (on the engine's clock) until its timeout aborts it, or for `ms`: a step that takes its time.
  const wait: ActionPlugin<Record<string, unknown>> = {
    type: 'wait', schema: recordParams, idempotent: false, mutates: false,
    plan: async () => ({ summary: 'wait' }),
    execute: async (ctx) => {
      calls.push({ action: 'wait', phase: 'execute', params: ctx.params });
      await ctx.clock.sleep(typeof ctx.params['ms'] === 'number' ? ctx.params['ms'] : 3_600_000, ctx.signal);
      return { summary: 'waited' };
    },
  };
  const actions = new Map<string, ActionPlugin>([...builtinActions, ['record', record as ActionPlugin], ['wait', wait as ActionPlugin]]);
  const config = compileConfig(opts.config, '/virtual/medic.yaml', { probes: builtinProbes() });
  const runbooks = opts.runbooks.map((text, i) => compileRunbookText(text, { file: `/virtual/runbook-${i}.yaml`, actions, settleMs: 0 }));
  const store = await openSqliteStore(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : { file: ':memory:' });
  const notifier: NotifierPort = { notify: (n) => { notifications.push(n); opts.notifier?.notify(n); } };
  const pumped = opts.clock === undefined && opts.time !== 'real' ? new FakeClock() : undefined;
  const clock = opts.clock ?? pumped ?? systemClock;
  const engine = new Engine({
    config, runbooks, store, clock, log: opts.log ?? silentLogger,
    probePlugins: builtinProbes(), actionPlugins: actions, supervisor: opts.supervisor?.(config) ?? noSupervisor, notifier,
  });
  await opts.prepare?.(store);
  await engine.start();
  const target = opts.target ?? 'web';
  const feed = (): void => {
    if (opts.feed === false) return;
    const at = clock.now();
    engine.ingest(Object.entries(world).map(([name, value]) => ({ source: 'test', target, name, value, labels: {}, at })));
  };
  const stopTime = pumped ? pump(pumped, feed) : realFeed(feed);
  return {
    engine, clock, world, calls, notifications,
    next: (event, pred, timeoutMs = 10_000) => engine.events.waitFor(event, pred, timeoutMs),
    close: async () => {
      await stopTime();
      await engine.stop();
      await store.close();
    },
  };
}

/** Feeds every 20 ms of real time. */
function realFeed(feed: () => void): () => Promise<void> {
  const timer = setInterval(feed, 20);
  return async () => clearInterval(timer);
}

/**
 * Moves the fake clock on by 20 ms, then feeds the world, once per turn of the event loop (a real
 * millisecond apart, so the machine is not spun): time passes only as fast as the engine can follow.
 */
function pump(clock: FakeClock, feed: () => void): () => Promise<void> {
  let running = true;
  const loop = (async () => {
    while (running) {
      await clock.advance(20);
      feed();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/** No supervised processes in these tests. */
const noSupervisor: SupervisorPort = {
  has: () => false,
  targets: () => [],
  status: () => undefined,
  start: async () => {},
  stop: async () => {},
  restart: async () => {},
  kill: () => 0,
  scale: async () => ({ previous: 0, current: 0 }),
  on: () => () => {},
};

/** A config with target `web` and the given rules/policy YAML appended. */
export function configYaml(extra: string): string {
  return `targets:\n  - name: web\n    labels: { tier: web }\n${extra}`;
}
