import { describe, expect, it } from 'vitest';
import { processRestart, type ProcessRestartParams } from '../../src/actions/process.js';
import type { ActionContext } from '../../src/actions/types.js';
import type { TargetConfig } from '../../src/config/types.js';
import { silentLogger } from '../../src/drivers/log.js';
import type { GroupStatus, ReplicaState, SupervisorEvents, SupervisorPort } from '../../src/supervisor/types.js';
import { FakeClock } from '../support/fake-clock.js';
import { processSpec } from '../supervisor/helpers.js';

const RESTART_MS = 1_000;

/**
 * A group of replicas whose restart takes RESTART_MS on the fake clock (stop,
 * start, ready), and that records how many replicas were in Medic's hands at
 * once. A restart without an index restarts them all, as the real one does.
 */
class FakeGroup implements SupervisorPort {
  readonly states: ReplicaState[];
  readonly pids: number[];
  readonly restarted: number[] = [];
  mostInHand = 0;
  private nextPid = 5000;
  private readonly ready = new Set<(e: SupervisorEvents['ready']) => void>();

  constructor(private readonly clock: FakeClock, states: ReplicaState[]) {
    this.states = [...states];
    this.pids = states.map((_, i) => 100 + i);
  }

  has(): boolean { return true; }
  targets(): string[] { return ['web']; }
  status(): GroupStatus {
    return {
      target: 'web', desired: this.states.length,
      replicas: this.states.map((state, index) => ({
        index, port: 7000 + index, pid: state === 'running' ? this.pids[index]! : null, state, startedAt: null, restarts: 0, lastExit: null,
      })),
    };
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  kill(): number { return 0; }
  async scale(): Promise<{ previous: number; current: number }> { return { previous: 0, current: 0 }; }

  async restart(_target: string, opts: { index?: number; signal?: AbortSignal } = {}): Promise<void> {
    const indexes = opts.index === undefined ? this.states.map((_, i) => i) : [opts.index];
    await Promise.all(indexes.map((i) => this.restartOne(i, opts.signal)));
  }

  /** Someone else (a person's restart) finishes bringing a replica up. */
  finish(index: number): void {
    this.states[index] = 'running';
    for (const l of this.ready) l({ target: 'web', index, pid: this.pids[index]!, at: this.clock.now() });
  }

  on<K extends keyof SupervisorEvents>(event: K, listener: (e: SupervisorEvents[K]) => void): () => void {
    if (event !== 'ready') return () => undefined;
    const l = listener as (e: SupervisorEvents['ready']) => void;
    this.ready.add(l);
    return () => this.ready.delete(l);
  }

  private async restartOne(index: number, signal?: AbortSignal): Promise<void> {
    this.restarted.push(index);
    this.states[index] = 'stopping';
    this.mostInHand = Math.max(this.mostInHand, this.states.filter((s) => s === 'stopping' || s === 'starting').length);
    await this.clock.sleep(RESTART_MS, signal);
    this.pids[index] = this.nextPid++;
    this.finish(index);
  }
}

function ctx(
  clock: FakeClock, group: FakeGroup, opts: { maxUnavailable?: number; replicaLabel?: string } = {},
): ActionContext<ProcessRestartParams> {
  const target: TargetConfig = { name: 'web', labels: {}, process: processSpec({ replicas: 5, maxReplicas: 10, maxUnavailable: opts.maxUnavailable ?? 1 }) };
  const labels: Record<string, string> = opts.replicaLabel === undefined ? {} : { replica: opts.replicaLabel };
  return {
    params: processRestart.schema.parse({ target: 'web' }),
    targetName: 'web', target,
    incident: { id: 'inc-1', rule: 'web-unhealthy', severity: 'P1', labels },
    executionId: 'exec-1', clock, signal: new AbortController().signal, log: silentLogger, supervisor: group,
    notifier: { notify: () => undefined },
  };
}

describe('process.restart on a replica group', () => {
  it('restarts only the replica the incident names; the other four keep their pids', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['running', 'running', 'running', 'running', 'running']);
    const before = [...group.pids];
    const done = processRestart.execute(ctx(clock, group, { replicaLabel: '3' }));
    await clock.advance(RESTART_MS);
    const out = await done;
    expect(group.restarted).toEqual([3]);
    expect(group.pids.filter((pid, i) => pid === before[i])).toHaveLength(4);
    expect(out.summary).toMatch(/^restarted web replica 3 in 1s$/);
  });

  it('with no replica on the incident, restarts the replicas the supervisor sees down, one at a time by default', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['running', 'crashed', 'running', 'crashed', 'running']);
    const before = [...group.pids];
    const done = processRestart.execute(ctx(clock, group));
    await clock.advance(RESTART_MS / 2);
    // The second waits for the first to be ready.
    expect(group.restarted).toEqual([1]);
    await clock.advance(2 * RESTART_MS);
    await done;
    expect(group.restarted).toEqual([1, 3]);
    expect(group.mostInHand).toBe(1);
    expect([0, 2, 4].map((i) => group.pids[i])).toEqual([0, 2, 4].map((i) => before[i]));
  });

  it('takes max_unavailable replicas at a time, each batch ready before the next', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['crashed', 'crashed', 'crashed', 'running', 'running']);
    const plan = await processRestart.plan(ctx(clock, group, { maxUnavailable: 2 }));
    expect(plan.summary).toMatch(/, 2 replicas at a time, each ready before the next$/);
    const done = processRestart.execute(ctx(clock, group, { maxUnavailable: 2 }));
    await clock.advance(RESTART_MS / 2);
    expect(group.restarted).toEqual([0, 1]);
    await clock.advance(RESTART_MS);
    expect(group.restarted).toEqual([0, 1, 2]);
    await clock.advance(RESTART_MS);
    await done;
    expect(group.mostInHand).toBe(2);
    expect(group.restarted).not.toContain(3);
  });

  it('waits while another replica is already down by Medic\'s hand', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['running', 'crashed', 'running', 'running', 'starting']);
    const done = processRestart.execute(ctx(clock, group));
    await clock.advance(10 * RESTART_MS);
    expect(group.restarted).toEqual([]);
    group.finish(4);
    await clock.advance(RESTART_MS);
    await done;
    expect(group.restarted).toEqual([1]);
    expect(group.mostInHand).toBe(1);
  });

  it('restarts nothing when the incident\'s replica was scaled away', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['running', 'running', 'running']);
    await expect(processRestart.execute(ctx(clock, group, { replicaLabel: '4' }))).rejects.toThrow(/has no replica 4 any more \(it has 3\): nothing to restart/);
    expect(group.restarted).toEqual([]);
  });

  it('restarts every replica in turn for a problem of the whole group', async () => {
    const clock = new FakeClock();
    const group = new FakeGroup(clock, ['running', 'running', 'running']);
    const done = processRestart.execute(ctx(clock, group));
    await clock.advance(3 * RESTART_MS);
    await done;
    expect(group.restarted).toEqual([0, 1, 2]);
    expect(group.mostInHand).toBe(1);
  });
});
