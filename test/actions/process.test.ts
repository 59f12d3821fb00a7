import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionContext, ActionPlugin } from '../../src/actions/types.js';
import { processRestart, processScale, processSignal, processStop } from '../../src/actions/process.js';
import type { TargetConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { demoSpec, ensureDemoBuilt, freePorts, harness, nextEvent, target } from '../supervisor/helpers.js';

beforeAll(async () => {
  await ensureDemoBuilt();
}, 120_000);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

interface Demo {
  supervisor: Supervisor;
  config: TargetConfig;
  port: number;
}

async function startDemo(): Promise<Demo> {
  const [port] = await freePorts(3);
  const config = target('demo', demoSpec(port!, { maxReplicas: 3, graceMs: 1000 }));
  const h = harness({ demo: config });
  cleanups.push(h.cleanup);
  await h.supervisor.start('demo');
  return { supervisor: h.supervisor, config, port: port! };
}

/** Parses raw params the way the engine does, then builds the context around them. */
function ctx<P>(plugin: ActionPlugin<P>, d: Demo, raw: Record<string, unknown>, signal = new AbortController().signal): ActionContext<P> {
  return {
    params: plugin.schema.parse(raw),
    targetName: String(raw.target),
    target: raw.target === 'demo' ? d.config : undefined,
    incident: null,
    executionId: 'exec-1',
    clock: systemClock,
    signal,
    log: silentLogger,
    supervisor: d.supervisor,
    notifier: { notify: () => undefined },
  };
}

const pidOf = (d: Demo, i = 0) => d.supervisor.status('demo')!.replicas[i]!.pid;

async function healthy(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

describe('process actions: params', () => {
  it('parse templated strings into numbers, durations and signal names', () => {
    expect(processRestart.schema.parse({ target: 'demo', replica: '0', grace: '2s' })).toEqual({ target: 'demo', replica: 0, grace: 2000 });
    expect(processRestart.schema.parse({ target: 'demo', grace: 500 })).toEqual({ target: 'demo', grace: 500 });
    expect(processSignal.schema.parse({ target: 'demo', signal: 'hup' })).toEqual({ target: 'demo', signal: 'SIGHUP' });
    expect(processScale.schema.parse({ target: 'demo', by: '1' })).toEqual({ target: 'demo', by: 1 });
  });

  it('reject what they do not understand', () => {
    expect(() => processRestart.schema.parse({ target: 'demo', grace: 'soon' })).toThrow(/duration/);
    expect(() => processRestart.schema.parse({ target: 'demo', extra: 1 })).toThrow();
    expect(() => processRestart.schema.parse({ target: 'demo', replica: -1 })).toThrow();
    expect(() => processSignal.schema.parse({ target: 'demo', signal: 'SIGWHATEVER' })).toThrow();
    expect(() => processScale.schema.parse({ target: 'demo', replicas: 2, by: 1 })).toThrow(/exactly one/);
    expect(() => processScale.schema.parse({ target: 'demo' })).toThrow(/exactly one/);
  });

  it('declare idempotency and mutation', () => {
    expect([processRestart, processSignal, processStop, processScale].map((p) => [p.type, p.idempotent, p.mutates])).toEqual([
      ['process.restart', true, true],
      ['process.signal', false, true],
      ['process.stop', true, true],
      ['process.scale', false, true],
    ]);
  });
});

describe('process actions against the demo service', () => {
  it('plan a restart precisely and change nothing', async () => {
    const d = await startDemo();
    const pid = pidOf(d);
    const plan = await processRestart.plan(ctx(processRestart, d, { target: 'demo' }));
    expect(plan.summary).toBe(`restart demo (1 replica): SIGTERM, 1s grace, then SIGKILL; wait for http://127.0.0.1:${d.port}/health to answer 2xx`);
    expect(plan.details).toMatchObject({ graceMs: 1000, replicas: [{ index: 0, pid, port: d.port, state: 'running' }] });
    expect(pidOf(d)).toBe(pid);
  });

  it('restart: a new process that answers, and an expected exit for the old one', async () => {
    const d = await startDemo();
    const pid = pidOf(d);
    const exit = nextEvent(d.supervisor, 'exit');
    const out = await processRestart.execute(ctx(processRestart, d, { target: 'demo', grace: '500ms' }));
    expect(await exit).toMatchObject({ pid, expected: true, code: 0 });
    expect(pidOf(d)).not.toBe(pid);
    expect(out.summary).toMatch(/^restarted demo \(1 replica\) in \d+/);
    expect(await healthy(d.port)).toBe(true);
  });

  it('signal: delivers it, counts it, and rollback starts a killed process again', async () => {
    const d = await startDemo();
    const exit = nextEvent(d.supervisor, 'exit');
    const c = ctx(processSignal, d, { target: 'demo', signal: 'SIGKILL', replica: 0 });
    expect((await processSignal.plan(c)).summary).toBe(`send SIGKILL to demo replica 0 (pid ${pidOf(d)})`);
    const out = await processSignal.execute(c);
    expect(out.data).toEqual({ signalled: 1 });
    expect(await exit).toMatchObject({ signal: 'SIGKILL', expected: false });
    await expect(processSignal.execute(c)).rejects.toMatchObject({ code: 'failed' });
    await processSignal.rollback!(c, out.rollbackState);
    expect(d.supervisor.status('demo')!.replicas[0]!.state).toBe('running');
    expect(await healthy(d.port)).toBe(true);
  });

  it('stop: stops gracefully, and rollback starts again', async () => {
    const d = await startDemo();
    const c = ctx(processStop, d, { target: 'demo', grace: '1s' });
    const exit = nextEvent(d.supervisor, 'exit');
    const out = await processStop.execute(c);
    expect(await exit).toMatchObject({ code: 0, expected: true });
    expect(d.supervisor.status('demo')!.replicas[0]!.state).toBe('stopped');
    expect(out.rollbackState).toEqual({ target: 'demo', running: 1 });
    await processStop.rollback!(c, out.rollbackState);
    expect(await healthy(d.port)).toBe(true);
  });

  it('scale: adds a replica on the next port, and rollback goes back to the previous count', async () => {
    const d = await startDemo();
    const c = ctx(processScale, d, { target: 'demo', by: 1 });
    expect((await processScale.plan(c)).summary).toBe('scale demo from 1 to 2 replicas (start 1 more; max 3)');
    const out = await processScale.execute(c);
    expect(out.data).toEqual({ previous: 1, current: 2 });
    expect(await healthy(d.port + 1)).toBe(true);
    await processScale.rollback!(c, out.rollbackState);
    expect(d.supervisor.status('demo')!.replicas).toHaveLength(1);
    await expect(fetch(`http://127.0.0.1:${d.port + 1}/health`)).rejects.toThrow();
  });

  it('scale: refuses counts outside 1..max without touching anything', async () => {
    const d = await startDemo();
    await expect(processScale.execute(ctx(processScale, d, { target: 'demo', replicas: 4 }))).rejects.toMatchObject({ code: 'invalid_params' });
    await expect(processScale.execute(ctx(processScale, d, { target: 'demo', by: -1 }))).rejects.toMatchObject({ code: 'invalid_params' });
    expect(d.supervisor.status('demo')!.desired).toBe(1);
  });

  it('name an unknown target or replica as not_found', async () => {
    const d = await startDemo();
    for (const [plugin, raw] of [
      [processRestart, { target: 'nope' }],
      [processSignal, { target: 'nope', signal: 'SIGHUP' }],
      [processStop, { target: 'nope' }],
      [processScale, { target: 'nope', replicas: 1 }],
      [processRestart, { target: 'demo', replica: 5 }],
    ] as const) {
      const p = plugin as ActionPlugin<unknown>;
      await expect(p.plan(ctx(p, d, raw))).rejects.toMatchObject({ code: 'not_found' });
      await expect(p.execute(ctx(p, d, raw))).rejects.toMatchObject({ code: 'not_found' });
    }
  });

  it('do nothing at all when already aborted', async () => {
    const d = await startDemo();
    const pid = pidOf(d);
    const ac = new AbortController();
    ac.abort();
    await expect(processRestart.execute(ctx(processRestart, d, { target: 'demo' }, ac.signal))).rejects.toMatchObject({ code: 'aborted' });
    await expect(processStop.execute(ctx(processStop, d, { target: 'demo' }, ac.signal))).rejects.toMatchObject({ code: 'aborted' });
    await expect(processScale.execute(ctx(processScale, d, { target: 'demo', by: 1 }, ac.signal))).rejects.toMatchObject({ code: 'aborted' });
    expect(d.supervisor.status('demo')!.replicas.map((r) => [r.pid, r.state])).toEqual([[pid, 'running']]);
  });

  it('restart gives up its wait when aborted mid-way, leaving nothing half-started', async () => {
    const d = await startDemo();
    const ac = new AbortController();
    const spawned = nextEvent(d.supervisor, 'spawn');
    const restart = processRestart.execute(ctx(processRestart, d, { target: 'demo' }, ac.signal));
    await spawned;
    ac.abort();
    await expect(restart).rejects.toMatchObject({ code: 'aborted' });
    const r = d.supervisor.status('demo')!.replicas[0]!;
    expect([r.state, r.pid]).toEqual(['stopped', null]);
  });
});
