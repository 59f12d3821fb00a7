import type { Logger } from 'pino';
import { z } from 'zod';
import type { ActionPlugin, NotifierPort, Notification } from '../../src/actions/types.js';
import { builtinActions } from '../../src/actions/index.js';
import { compileConfig } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/engine/clock.js';
import { Engine } from '../../src/engine/engine.js';
import type { EngineEvents, EventName } from '../../src/engine/events.js';
import { silentLogger } from '../../src/engine/log.js';
import { builtinProbes } from '../../src/probes/index.js';
import { compileRunbookText } from '../../src/runbooks/compile.js';
import { openSqliteStore } from '../../src/store/database.js';
import type { SupervisorPort } from '../../src/supervisor/types.js';

/**
 * A real engine on an in-memory store, with no probes: the test plays the
 * world. `world` values are emitted as signals every 20 ms for target `web`,
 * and `record` actions log their calls and may change the world, as a fix would.
 */
export interface Harness {
  readonly engine: Engine;
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
  /** Default: silent. */
  readonly log?: Logger;
  /** A real supervisor for targets with a `process` (default: none supervised). */
  readonly supervisor?: (config: CompiledConfig) => SupervisorPort;
  /** Also deliver through this notifier (the harness records every notification either way). */
  readonly notifier?: NotifierPort;
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
      return { summary: 'recorded', rollbackState: { before: { ...world } } };
    },
    rollback: async (ctx) => {
      calls.push({ action: 'record', phase: 'rollback', params: ctx.params });
      return { summary: 'undone' };
    },
  };
  const actions = new Map<string, ActionPlugin>([...builtinActions, ['record', record as ActionPlugin]]);
  const config = compileConfig(opts.config, '/virtual/medic.yaml', { probes: builtinProbes });
  const runbooks = opts.runbooks.map((text, i) => compileRunbookText(text, { file: `/virtual/runbook-${i}.yaml`, actions, settleMs: 0 }));
  const store = await openSqliteStore({ file: ':memory:' });
  const notifier: NotifierPort = { notify: (n) => { notifications.push(n); opts.notifier?.notify(n); } };
  const engine = new Engine({
    config, runbooks, store, clock: systemClock, log: opts.log ?? silentLogger,
    probePlugins: builtinProbes, actionPlugins: actions, supervisor: opts.supervisor?.(config) ?? noSupervisor, notifier,
  });
  await engine.start();
  const target = opts.target ?? 'web';
  const timer = setInterval(() => {
    const at = Date.now();
    engine.ingest(Object.entries(world).map(([name, value]) => ({ source: 'test', target, name, value, labels: {}, at })));
  }, 20);
  return {
    engine, world, calls, notifications,
    next: (event, pred, timeoutMs = 10_000) => engine.events.waitFor(event, pred, timeoutMs),
    close: async () => {
      clearInterval(timer);
      await engine.stop();
      await store.close();
    },
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
