import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/core/signal.js';
import { systemClock } from '../../src/drivers/clock.js';
import { silentLogger } from '../../src/drivers/log.js';
import { createProcessProbe, type ProcessProbeParams } from '../../src/probes/process.js';
import type { ProbeContext } from '../../src/probes/types.js';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import { demoSpec, ensureDemoBuilt, eventually, freePorts, harness, nextEvent, target } from '../supervisor/helpers.js';

beforeAll(async () => {
  await ensureDemoBuilt();
}, 120_000);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

let probeCount = 0;
const processProbe = createProcessProbe();

function context(supervisor: Supervisor, params: ProcessProbeParams = {}): ProbeContext<ProcessProbeParams> {
  return {
    // A fresh name per context: the probe keeps CPU baselines per probe name.
    probe: { name: `demo-process-${++probeCount}`, type: 'process', target: 'demo', intervalMs: 500, timeoutMs: 500, params },
    params: processProbe.schema.parse(params),
    target: target('demo', null),
    clock: systemClock,
    signal: new AbortController().signal,
    log: silentLogger,
    supervisor,
  };
}

async function startDemo(replicas = 1) {
  const [port] = await freePorts(2);
  const h = harness({ demo: target('demo', demoSpec(port!, { maxReplicas: 2 })) });
  cleanups.push(h.cleanup);
  await h.supervisor.start('demo');
  if (replicas > 1) await h.supervisor.scale('demo', replicas);
  return { ...h, port: port! };
}

function value(samples: Sample[], name: string): number | undefined {
  return samples.find((s) => s.name === name)?.value;
}

describe('process probe', () => {
  it('accepts empty params and rejects unknown ones', () => {
    expect(processProbe.schema.parse({})).toEqual({});
    expect(() => processProbe.schema.parse({ pidfil: 'x' })).toThrow();
  });

  it('does not call a group that Medic stopped on purpose "down", so the crash rule leaves it stopped', async () => {
    const { supervisor } = await startDemo();
    const ctx = context(supervisor);
    expect(value(await processProbe.check!(ctx), 'process_up')).toBe(1);
    await supervisor.stop('demo', { graceMs: 2_000 });
    const after = await processProbe.check!(ctx);
    expect(value(after, 'process_up')).toBeUndefined();
    expect(value(after, 'process_stopped')).toBe(1);
    expect(value(after, 'process_replicas_running')).toBe(0);
  });

  it('reports a crash from the exit event itself, and up again on ready', async () => {
    const { supervisor } = await startDemo();
    const emitted: Sample[][] = [];
    const stop = processProbe.watch!(context(supervisor), (s) => emitted.push(s));
    const pid = supervisor.status('demo')!.replicas[0]!.pid!;
    const exit = nextEvent(supervisor, 'exit');
    process.kill(pid, 'SIGKILL');
    await exit;
    // Emitted synchronously from the exit event: already there when the event resolves. The group and the replica.
    expect(emitted).toEqual([[{ name: 'process_up', value: 0 }, { name: 'process_up', value: 0, labels: { replica: '0' } }]]);

    await supervisor.restart('demo');
    expect(emitted.at(-1)).toEqual([{ name: 'process_up', value: 1 }, { name: 'process_up', value: 1, labels: { replica: '0' } }]);
    stop();
  });

  it('stays quiet about exits Medic caused itself', async () => {
    const { supervisor } = await startDemo();
    const emitted: Sample[][] = [];
    const stop = processProbe.watch!(context(supervisor), (s) => emitted.push(s));
    await supervisor.restart('demo');
    expect(emitted).toEqual([[{ name: 'process_up', value: 1 }, { name: 'process_up', value: 1, labels: { replica: '0' } }]]);
    stop();
    await supervisor.restart('demo');
    expect(emitted).toHaveLength(1);
  });

  it('checks up, replicas, memory and CPU of a group', async () => {
    const { supervisor, port } = await startDemo(2);
    const ctx = context(supervisor);
    const first = await processProbe.check!(ctx);
    expect(value(first, 'process_up')).toBe(1);
    expect(value(first, 'process_replicas_running')).toBe(2);
    expect(value(first, 'process_rss_mb')).toBeGreaterThan(10);
    // CPU needs two looks at each pid.
    expect(value(first, 'process_cpu_percent')).toBeUndefined();

    await fetch(`http://127.0.0.1:${port + 1}/fault/cpu?duration=5`, { method: 'POST' });
    const pid = supervisor.status('demo')!.replicas[1]!.pid!;
    const t0 = cpuTicks(pid);
    await eventually(() => (cpuTicks(pid) - t0 >= 30 ? true : undefined), 'the replica to burn CPU', 3000);
    const second = await processProbe.check!(ctx);
    // The busiest replica counts, not the average of the two.
    expect(value(second, 'process_cpu_percent')).toBeGreaterThan(30);
  });

  it('reports each replica on its own: the crashed one down, the other up with its memory', async () => {
    const { supervisor } = await startDemo(2);
    const exit = nextEvent(supervisor, 'exit');
    process.kill(supervisor.status('demo')!.replicas[1]!.pid!, 'SIGKILL');
    await exit;
    const samples = await processProbe.check!(context(supervisor));
    const of = (replica: string, name: string) => samples.find((s) => s.name === name && s.labels?.['replica'] === replica)?.value;
    expect([of('0', 'process_up'), of('1', 'process_up')]).toEqual([1, 0]);
    expect(of('0', 'process_rss_mb')).toBeGreaterThan(10);
    expect(of('1', 'process_rss_mb')).toBeUndefined();
    // The group: down (not every replica up), one running, its memory the one live replica's.
    expect(value(samples, 'process_up')).toBe(0);
    expect(value(samples, 'process_replicas_running')).toBe(1);
    expect(value(samples, 'process_rss_mb')).toBe(of('0', 'process_rss_mb'));
  });

  it('reports down when a desired replica has crashed', async () => {
    const { supervisor } = await startDemo();
    const exit = nextEvent(supervisor, 'exit');
    process.kill(supervisor.status('demo')!.replicas[0]!.pid!, 'SIGKILL');
    await exit;
    const samples = await processProbe.check!(context(supervisor));
    expect(value(samples, 'process_up')).toBe(0);
    expect(value(samples, 'process_replicas_running')).toBe(0);
    expect(value(samples, 'process_rss_mb')).toBeUndefined();
  });

  it('watches the process named in a pidfile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medic-pidfile-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { supervisor, cleanup } = harness({});
    cleanups.push(cleanup);
    const file = path.join(dir, 'app.pid');
    writeFileSync(file, `${process.pid}\n`);
    const up = await processProbe.check!(context(supervisor, { pidfile: file }));
    expect(value(up, 'process_up')).toBe(1);
    expect(value(up, 'process_rss_mb')).toBeGreaterThan(1);

    writeFileSync(file, '999999999\n');
    expect(value(await processProbe.check!(context(supervisor, { pidfile: file })), 'process_up')).toBe(0);
    expect(value(await processProbe.check!(context(supervisor, { pidfile: path.join(dir, 'missing.pid') })), 'process_up')).toBe(0);
  });
});

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
