import { afterEach, describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../src/config/types.js';
import { EventBus, type EngineEvents } from '../../src/core/events.js';
import { Scheduler, type SchedulerDeps } from '../../src/engine/scheduler.js';
import type { CompiledRunbook } from '../../src/runbooks/types.js';
import { FakeClock } from '../support/fake-clock.js';

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString().slice(0, 16);

interface World {
  readonly scheduler: Scheduler;
  readonly clock: FakeClock;
  readonly runs: EngineEvents['schedule:run'][];
  readonly requests: string[];
  readonly active: Set<string>;
  readonly state: Map<string, unknown>;
  killSwitchOff: boolean;
}

let current: World | undefined;
afterEach(async () => current?.scheduler.stop());

function world(schedule: Partial<ScheduleConfig>, start: string, opts: { state?: Map<string, unknown> } = {}): World {
  const clock = new FakeClock(Date.parse(start));
  const events = new EventBus();
  const runs: World['runs'] = [];
  events.on('schedule:run', (e) => void runs.push(e));
  const state = opts.state ?? new Map<string, unknown>();
  const w: World = {
    clock, runs, requests: [], active: new Set(), state, killSwitchOff: false,
    scheduler: undefined as unknown as Scheduler,
  };
  const s: ScheduleConfig = { name: 'weekly-maintenance', runbook: 'db-maintenance', target: 'db', cron: '0 3 * * 0', timezone: 'Europe/Berlin', catchUp: false, severity: 'P3', ...schedule };
  const deps: SchedulerDeps = {
    clock, events, schedules: [s],
    runbooks: () => [{ name: 'db-maintenance' } as CompiledRunbook],
    autoRemediation: () => !w.killSwitchOff,
    isSilenced: () => false,
    request: async () => {
      const id = `exe-${w.requests.length + 1}`;
      w.requests.push(iso(clock.now()));
      w.active.add(id);
      return { executionId: id, verdict: 'run', reason: 'auto: P3 runs at once' };
    },
    isActive: async (id) => w.active.has(id),
    state: { get: async <T>(k: string) => state.get(k) as T | undefined, put: async (k, v) => void state.set(k, v) },
    audit: async () => {},
  };
  Object.assign(w, { scheduler: new Scheduler(deps) });
  w.scheduler.start();
  current = w;
  return w;
}

describe('schedules on the engine clock', () => {
  it('fires a weekly Sunday 03:00 Europe/Berlin schedule at 03:00 local across the spring daylight-saving change', async () => {
    const w = world({ cron: '0 3 * * 0' }, '2026-03-20T00:00:00Z');
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(7 * DAY);
      w.active.clear();
    }
    // 03:00 CET is 02:00 UTC; from 29 March (clocks forward at 02:00) 03:00 CEST is 01:00 UTC.
    expect(w.runs.map((r) => iso(r.at))).toEqual(['2026-03-22T02:00', '2026-03-29T01:00', '2026-04-05T01:00']);
    expect(w.requests).toEqual(['2026-03-22T02:00', '2026-03-29T01:00', '2026-04-05T01:00']);
  });

  it('fires once, not twice, at 02:30 on the autumn night when 02:30 happens twice', async () => {
    const w = world({ cron: '30 2 * * 0' }, '2026-10-17T00:00:00Z');
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(7 * DAY);
      w.active.clear();
    }
    expect(w.requests).toEqual(['2026-10-18T00:30', '2026-10-25T01:30', '2026-11-01T01:30']);
  });

  it('never overlaps itself: a run time that comes while the previous run still goes is skipped', async () => {
    const w = world({ cron: '0 4 * * *', timezone: 'UTC' }, '2026-01-01T00:00:00Z');
    await w.clock.advance(DAY); // 1 Jan 04:00 starts exe-1, which keeps running
    await w.clock.advance(DAY); // 2 Jan 04:00: skipped
    w.active.delete('exe-1');
    await w.clock.advance(DAY); // 3 Jan 04:00 runs
    expect(w.runs.map((r) => [iso(r.at), r.outcome])).toEqual([
      ['2026-01-01T04:00', 'started'], ['2026-01-02T04:00', 'skipped'], ['2026-01-03T04:00', 'started'],
    ]);
    expect(w.runs[1]!.reason).toBe('the previous run (exe-1) is still going: a schedule never overlaps itself');
  });

  it('skips runs while the kill switch is on', async () => {
    const w = world({ cron: '0 4 * * *', timezone: 'UTC' }, '2026-01-01T00:00:00Z');
    w.killSwitchOff = true;
    await w.clock.advance(DAY);
    expect(w.runs.map((r) => [r.outcome, r.reason])).toEqual([['skipped', 'kill switch is on: automatic remediation is off']]);
    expect(w.requests).toEqual([]);
  });

  it('does not fire a run time twice when the clock goes back', async () => {
    const w = world({ cron: '0 4 * * *', timezone: 'UTC' }, '2026-01-01T03:00:00Z');
    await w.clock.advance(3_600_000);
    w.active.clear();
    w.clock.set(Date.parse('2026-01-01T03:30:00Z'));
    await w.clock.advance(3_600_000);
    expect(w.requests).toEqual(['2026-01-01T04:00']);
  });

  it('runs a missed schedule once at start-up when catch_up says so, and not otherwise', async () => {
    // The engine last ran the schedule on 1 Jan and was down for three days.
    const state = new Map<string, unknown>([['schedule:weekly-maintenance', { lastRunAt: Date.parse('2026-01-01T04:00:00Z') }]]);
    const w = world({ cron: '0 4 * * *', timezone: 'UTC', catchUp: true }, '2026-01-04T12:00:00Z', { state });
    await w.clock.advance(1);
    expect(w.requests).toEqual(['2026-01-04T12:00']);
    await w.scheduler.stop();

    const state2 = new Map<string, unknown>([['schedule:weekly-maintenance', { lastRunAt: Date.parse('2026-01-01T04:00:00Z') }]]);
    const w2 = world({ cron: '0 4 * * *', timezone: 'UTC', catchUp: false }, '2026-01-04T12:00:00Z', { state: state2 });
    await w2.clock.advance(1);
    expect(w2.requests).toEqual([]);
    await w2.clock.advance(DAY);
    expect(w2.requests).toEqual(['2026-01-05T04:00']);
  });
});

describe('schedules in the engine', () => {
  it('runs a scheduled runbook through the policy, recorded as asked for by the schedule', async () => {
    const { configYaml, startHarness } = await import('../support/engine-harness.js');
    const h = await startHarness({
      config: configYaml(`
schedules:
  - { name: every-second, runbook: tidy, target: web, cron: "* * * * * *", timezone: Europe/Berlin }
`),
      runbooks: [`
name: tidy
description: tidy up
match: { rules: [] }
risk: low
impact: none
rollback_plan: none
steps:
  - { name: tidy, action: record, params: { id: tidy } }
watch: { duration: 0s }
`],
    });
    try {
      const run = h.next('schedule:run', (e) => e.outcome === 'started', 5_000);
      const { execution } = await h.next('execution:created', (e) => e.execution.requestedBy === 'schedule:every-second', 5_000);
      expect(execution.reason).toBe('auto: P3 runs at once');
      expect((await run).executionId).toBe(execution.id);
      const audit = await h.engine.store.audit.list({ kind: 'schedule', subject: 'every-second' });
      expect(audit.items.map((a) => a.result)).toContain('started');
    } finally {
      await h.close();
    }
  });
});

describe('a schedule and the circuit breaker', () => {
  it('runs nothing while the breaker for its runbook and target is open, and says why', async () => {
    const { configYaml, startHarness } = await import('../support/engine-harness.js');
    const { FakeClock: Clock } = await import('../support/fake-clock.js');
    const clock = new Clock(Date.parse('2026-01-01T12:00:30Z'));
    const t = clock.now() - 600_000;
    const h = await startHarness({
      clock,
      config: configYaml(`
schedules:
  - { name: tidy-each-minute, runbook: tidy, target: web, cron: "0 * * * * *", timezone: UTC }
`),
      runbooks: [`
name: tidy
description: tidy up
match: { rules: [] }
risk: low
impact: none
rollback_plan: none
steps:
  - { name: tidy, action: record, params: { id: tidy } }
watch: { duration: 0s }
`],
      prepare: async (store) => store.breakers.put({ key: 'tidy@web', state: 'open', failures: [t, t + 1_000, t + 2_000], openedAt: t + 2_000, reason: null }),
    });
    try {
      const fired = h.next('schedule:run', () => true, 5_000);
      await clock.advance(30_000);
      const run = await fired;
      await h.engine.idle();
      expect(run).toMatchObject({ schedule: 'tidy-each-minute', outcome: 'skipped', executionId: null, reason: expect.stringContaining('blocked: circuit open after 3 failures') });
      expect(h.calls).toEqual([]);
      expect((await h.engine.store.executions.list()).total).toBe(0);
      const audit = await h.engine.store.audit.list({ kind: 'schedule', subject: 'tidy-each-minute' });
      expect(audit.items.map((a) => a.result)).toEqual(['refuse']);
    } finally {
      await h.close();
    }
  });
});
