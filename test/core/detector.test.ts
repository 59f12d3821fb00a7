import { describe, expect, it } from 'vitest';
import type { Condition, Op, ValueExpr } from '../../src/core/condition.js';
import { INITIAL_RULE_STATE, resetRule, stepRule, type RuleSpec, type RuleState } from '../../src/core/detector.js';
import type { Severity } from '../../src/core/severity.js';
import { MemorySeries, SEC, T0 } from './series.js';

const leaf = (value: Partial<ValueExpr>, op: Op, threshold: number): Condition => ({
  kind: 'compare', value: { signal: 'v', fn: 'last', ...value }, op, threshold,
});
const band = (severity: Severity, condition: Condition) => ({ severity, condition });

/** http_up < 1 for 30 s is a P1. */
const down: RuleSpec = { name: 'down', forMs: 30 * SEC, bands: [band('P1', leaf({ signal: 'http_up' }, 'lt', 1))] };
/** Disk: > 90 P1, > 80 P2, written most severe first. */
const disk = (forMs = 0): RuleSpec => ({
  name: 'disk', forMs,
  bands: [band('P1', leaf({ signal: 'disk' }, 'gt', 90)), band('P2', leaf({ signal: 'disk' }, 'gt', 80))],
});

/**
 * Drives one rule on target "web" like the engine does: at each tick a probe
 * sample (when given) lands at the clock's reading, then the rule is stepped.
 */
class Harness {
  readonly src = new MemorySeries();
  state: RuleState = INITIAL_RULE_STATE;
  readonly events: { at: number; kind: string; severity?: Severity }[] = [];

  constructor(private readonly rule: RuleSpec, private readonly signal: string) {}

  tick(atSec: number, value?: number): this {
    const now = T0 + atSec * SEC;
    if (value !== undefined) this.src.add('web', this.signal, now, value);
    const { state, event } = stepRule(this.rule, 'web', this.state, this.src, now);
    this.state = state;
    if (event) this.events.push({ at: atSec, kind: event.kind, ...('severity' in event ? { severity: event.severity } : {}) });
    return this;
  }

  reset(atSec: number): this {
    this.state = resetRule(this.state, T0 + atSec * SEC);
    return this;
  }
}

describe('stepRule: `for`', () => {
  it('goes pending, without an event, the first time a band holds', () => {
    const h = new Harness(down, 'http_up').tick(0, 0);
    expect(h.events).toEqual([]);
    expect(h.state).toEqual({
      phase: 'pending', since: T0, severity: 'P1', value: 0, explain: 'http_up = 0 < 1', resetAt: 0,
    });
  });

  it('fires exactly when the condition has held for `for`, not a millisecond earlier', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(10, 0).tick(20, 0);
    const before = stepRule(down, 'web', h.state, h.src, T0 + 30 * SEC - 1);
    expect(before.event).toBeNull();
    expect(before.state.phase).toBe('pending');
    h.tick(30, 0);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }]);
    expect(h.state).toMatchObject({ phase: 'firing', since: T0, severity: 'P1', value: 0 });
  });

  it('carries value and explanation in the fired event', () => {
    const src = new MemorySeries().add('web', 'disk', T0, 93);
    expect(stepRule(disk(), 'web', INITIAL_RULE_STATE, src, T0).event).toEqual({
      kind: 'fired', severity: 'P1', value: 93, explain: 'disk = 93 > 90',
    });
  });

  it('fires on the first evaluation when `for` is 0', () => {
    const h = new Harness(disk(0), 'disk').tick(0, 85);
    expect(h.events).toEqual([{ at: 0, kind: 'fired', severity: 'P2' }]);
  });

  it('starts `for` afresh when the condition lapses while pending', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(20, 1).tick(25, 0).tick(50, 0);
    expect(h.events).toEqual([]);
    expect(h.state).toMatchObject({ phase: 'pending', since: T0 + 25 * SEC });
    h.tick(55, 0);
    expect(h.events).toEqual([{ at: 55, kind: 'fired', severity: 'P1' }]);
  });

  it('goes back to ok without an event when the condition lapses while pending', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(10, 1);
    expect(h.events).toEqual([]);
    expect(h.state).toEqual({ ...INITIAL_RULE_STATE, explain: 'http_up = 1 not < 1' });
  });

  it('does not fire again on every tick while it keeps holding', () => {
    const h = new Harness(down, 'http_up');
    for (let t = 0; t <= 120; t += 10) h.tick(t, 0);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }]);
  });

  it('drops back to ok when a pending rule loses its data (unknown never holds)', () => {
    const rule: RuleSpec = { ...down, bands: [band('P1', leaf({ signal: 'http_up', fn: 'max', windowMs: 15 * SEC }, 'lt', 1))] };
    const h = new Harness(rule, 'http_up').tick(0, 0).tick(10, 0).tick(40);
    expect(h.events).toEqual([]);
    expect(h.state).toMatchObject({ phase: 'ok', since: null, explain: 'max(http_up, 15s): no data' });
  });
});

describe('stepRule: clearing', () => {
  it('emits cleared with the explanation once a firing rule stops holding', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(30, 0);
    const { state, event } = stepRule(down, 'web', h.state, h.src.add('web', 'http_up', T0 + 40 * SEC, 1), T0 + 40 * SEC);
    expect(event).toEqual({ kind: 'cleared', explain: 'http_up = 1 not < 1' });
    expect(state).toEqual({ ...INITIAL_RULE_STATE, explain: 'http_up = 1 not < 1' });
  });

  it('explains a clear with the last band checked', () => {
    const h = new Harness(disk(), 'disk').tick(0, 95).tick(10, 50);
    expect(h.events.map((e) => e.kind)).toEqual(['fired', 'cleared']);
    expect(h.state.explain).toBe('disk = 50 not > 80');
  });

  it('keeps the reset time when it clears', () => {
    const h = new Harness(disk(), 'disk').reset(5).tick(10, 95).tick(20, 50);
    expect(h.state).toMatchObject({ phase: 'ok', resetAt: T0 + 5 * SEC });
  });

  it('fires again, as a new episode, after it cleared', () => {
    const h = new Harness(disk(), 'disk').tick(0, 95).tick(10, 50).tick(20, 95);
    expect(h.events).toEqual([
      { at: 0, kind: 'fired', severity: 'P1' },
      { at: 10, kind: 'cleared' },
      { at: 20, kind: 'fired', severity: 'P1' },
    ]);
  });
});

describe('stepRule: severity bands', () => {
  it('takes the first band that holds, in the order written', () => {
    expect(new Harness(disk(), 'disk').tick(0, 95).events).toEqual([{ at: 0, kind: 'fired', severity: 'P1' }]);
    expect(new Harness(disk(), 'disk').tick(0, 85).events).toEqual([{ at: 0, kind: 'fired', severity: 'P2' }]);
  });

  it('lets an earlier, milder band win over a later, more severe one', () => {
    const misordered: RuleSpec = { ...disk(), bands: [...disk().bands].reverse() };
    expect(new Harness(misordered, 'disk').tick(0, 95).events).toEqual([{ at: 0, kind: 'fired', severity: 'P2' }]);
  });

  it('escalates, with an event, when a more severe band holds while firing', () => {
    const h = new Harness(disk(), 'disk').tick(0, 85);
    const { state, event } = stepRule(disk(), 'web', h.state, h.src.add('web', 'disk', T0 + 10 * SEC, 97), T0 + 10 * SEC);
    expect(event).toEqual({ kind: 'escalated', severity: 'P1', value: 97, explain: 'disk = 97 > 90' });
    expect(state).toMatchObject({ phase: 'firing', since: T0, severity: 'P1', value: 97 });
  });

  it('escalates at once while firing, without waiting for `for` again', () => {
    const h = new Harness(disk(60 * SEC), 'disk').tick(0, 85).tick(60, 85).tick(61, 95);
    expect(h.events).toEqual([
      { at: 60, kind: 'fired', severity: 'P2' },
      { at: 61, kind: 'escalated', severity: 'P1' },
    ]);
  });

  it('de-escalates quietly and escalates again if it worsens again', () => {
    const h = new Harness(disk(), 'disk').tick(0, 95).tick(10, 85);
    expect(h.state).toMatchObject({ phase: 'firing', severity: 'P2', value: 85 });
    h.tick(20, 85).tick(30, 99);
    expect(h.events).toEqual([
      { at: 0, kind: 'fired', severity: 'P1' },
      { at: 30, kind: 'escalated', severity: 'P1' },
    ]);
  });

  it('does not emit escalated when the severity stays the same', () => {
    const h = new Harness(disk(), 'disk').tick(0, 92).tick(10, 99);
    expect(h.events).toEqual([{ at: 0, kind: 'fired', severity: 'P1' }]);
    expect(h.state.value).toBe(99);
  });

  it('fires at the current severity when it worsened while pending, timing `for` from the first band', () => {
    const h = new Harness(disk(30 * SEC), 'disk').tick(0, 85).tick(20, 95).tick(29, 95);
    expect(h.events).toEqual([]);
    expect(h.state).toMatchObject({ phase: 'pending', since: T0, severity: 'P1' });
    h.tick(30, 95);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }]);
  });

  it('escalates from P3 to P0 across two bands', () => {
    const rule: RuleSpec = {
      name: 'errors', forMs: 0,
      bands: [band('P0', leaf({ signal: 'e' }, 'gt', 100)), band('P3', leaf({ signal: 'e' }, 'gt', 1))],
    };
    const h = new Harness(rule, 'e').tick(0, 5).tick(10, 500);
    expect(h.events).toEqual([{ at: 0, kind: 'fired', severity: 'P3' }, { at: 10, kind: 'escalated', severity: 'P0' }]);
  });
});

describe('stepRule: count windows', () => {
  const threeInARow: RuleSpec = {
    name: 'down3', forMs: 0, bands: [band('P1', leaf({ signal: 'http_up', fn: 'max', samples: 3 }, 'lt', 1))],
  };

  it('needs 3 samples before `samples: 3` can hold', () => {
    const h = new Harness(threeInARow, 'http_up').tick(0, 0).tick(10, 0);
    expect(h.events).toEqual([]);
    expect(h.state).toMatchObject({ phase: 'ok', explain: 'max(http_up, last 3): no data' });
    h.tick(20, 0);
    expect(h.events).toEqual([{ at: 20, kind: 'fired', severity: 'P1' }]);
  });

  it('does not hold when one of the last 3 samples was healthy', () => {
    const h = new Harness(threeInARow, 'http_up').tick(0, 0).tick(10, 1).tick(20, 0).tick(30, 0);
    expect(h.events).toEqual([]);
    h.tick(40, 0);
    expect(h.events).toEqual([{ at: 40, kind: 'fired', severity: 'P1' }]);
  });

  it('needs 3 fresh samples again after a reset', () => {
    const h = new Harness(threeInARow, 'http_up').tick(0, 0).tick(10, 0).tick(20, 0).reset(25);
    h.tick(30, 0).tick(40, 0);
    expect(h.events).toEqual([{ at: 20, kind: 'fired', severity: 'P1' }]);
    h.tick(50, 0);
    expect(h.events).toEqual([{ at: 20, kind: 'fired', severity: 'P1' }, { at: 50, kind: 'fired', severity: 'P1' }]);
  });
});

describe('resetRule', () => {
  it('forgets a firing rule and remembers when it was reset', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(30, 0).reset(35);
    expect(h.state).toEqual({ ...INITIAL_RULE_STATE, resetAt: T0 + 35 * SEC });
  });

  it('never judges a restart by the failures that caused it', () => {
    // Down for a minute, the restart lands at 65 s: the old zeros must not count.
    const h = new Harness(down, 'http_up');
    for (let t = 0; t <= 60; t += 10) h.tick(t, 0);
    h.reset(65).tick(66);
    expect(h.state).toMatchObject({ phase: 'ok', explain: 'http_up: no data' });
    // Still failing after the restart: `for` is counted from the first new sample.
    h.tick(70, 0).tick(99, 0);
    expect(h.state).toMatchObject({ phase: 'pending', since: T0 + 70 * SEC });
    h.tick(100, 0);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }, { at: 100, kind: 'fired', severity: 'P1' }]);
  });

  it('ignores old samples inside a time window that reaches back past the reset', () => {
    const rule: RuleSpec = { name: 'errs', forMs: 0, bands: [band('P2', leaf({ signal: 'err', fn: 'sum', windowMs: 300 * SEC }, 'gt', 10))] };
    const h = new Harness(rule, 'err').tick(0, 50).reset(10).tick(20, 1).tick(30, 2);
    expect(h.events).toEqual([{ at: 0, kind: 'fired', severity: 'P2' }]);
    expect(h.state).toMatchObject({ phase: 'ok', explain: 'sum(err, 300s) = 3 not > 10' });
  });

  it('does not emit cleared when the reset itself forgot the firing', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(30, 0).reset(31).tick(40, 1);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }]);
  });

  it('ignores a sample a millisecond before the reset', () => {
    const src = new MemorySeries().add('web', 'disk', T0 + 9999, 99);
    const state = resetRule(INITIAL_RULE_STATE, T0 + 10_000);
    expect(stepRule(disk(), 'web', state, src, T0 + 20_000)).toEqual({
      state: { ...INITIAL_RULE_STATE, resetAt: T0 + 10_000, explain: 'disk: no data' }, event: null,
    });
  });

  it('never moves the reset time backwards', () => {
    const later = resetRule(INITIAL_RULE_STATE, T0 + 100);
    expect(resetRule(later, T0 + 50).resetAt).toBe(T0 + 100);
  });

  it('does not change the state it was given', () => {
    const h = new Harness(down, 'http_up').tick(0, 0);
    const before = h.state;
    resetRule(before, T0 + 5);
    expect(before).toMatchObject({ phase: 'pending', resetAt: 0 });
  });
});

describe('stepRule: a clock that goes backwards', () => {
  it('does not fire twice when the clock goes back while firing', () => {
    const h = new Harness(down, 'http_up').tick(0, 0).tick(10, 0).tick(20, 0).tick(30, 0);
    h.tick(15, 0).tick(25, 0).tick(30, 0).tick(45, 0).tick(60, 0);
    expect(h.events).toEqual([{ at: 30, kind: 'fired', severity: 'P1' }]);
    expect(h.state).toMatchObject({ phase: 'firing', since: T0 });
  });

  it('does not fire twice when the clock goes back before the pending start', () => {
    const h = new Harness(down, 'http_up').tick(10, 0).tick(40, 0).tick(5, 0).tick(50, 0);
    expect(h.events).toEqual([{ at: 40, kind: 'fired', severity: 'P1' }]);
  });

  it('does not fire early when the clock goes back while pending: `for` restarts at the earlier reading', () => {
    const h = new Harness(down, 'http_up').tick(100, 0).tick(110, 0).tick(60, 0);
    expect(h.state).toMatchObject({ phase: 'pending', since: T0 + 60 * SEC });
    h.tick(89, 0);
    expect(h.events).toEqual([]);
    h.tick(90, 0);
    expect(h.events).toEqual([{ at: 90, kind: 'fired', severity: 'P1' }]);
  });

  it('keeps the pending start when the clock goes back but stays after it', () => {
    const h = new Harness(down, 'http_up').tick(100, 0).tick(120, 0).tick(110, 0);
    expect(h.state).toMatchObject({ phase: 'pending', since: T0 + 100 * SEC });
    h.tick(129, 0);
    expect(h.events).toEqual([]);
    h.tick(130, 0);
    expect(h.events).toEqual([{ at: 130, kind: 'fired', severity: 'P1' }]);
  });

  it('does not let samples stamped after a backwards jump count as evidence of now', () => {
    // Three failures at 100..120; the clock jumps back to 50 and the count window is empty again.
    const rule: RuleSpec = { name: 'down3', forMs: 0, bands: [band('P1', leaf({ signal: 'http_up', fn: 'max', samples: 3 }, 'lt', 1))] };
    const src = new MemorySeries();
    for (const t of [100, 110, 120]) src.add('web', 'http_up', T0 + t * SEC, 0);
    expect(stepRule(rule, 'web', INITIAL_RULE_STATE, src, T0 + 50 * SEC)).toEqual({
      state: { ...INITIAL_RULE_STATE, explain: 'max(http_up, last 3): no data' }, event: null,
    });
  });

  it('does not judge a restart by samples stamped before the reset when the clock went back after it', () => {
    const h = new Harness(disk(), 'disk').reset(200).tick(150, 99).tick(190, 99);
    expect(h.events).toEqual([]);
    expect(h.state).toMatchObject({ phase: 'ok', resetAt: T0 + 200 * SEC });
    h.tick(200, 99);
    expect(h.events).toEqual([{ at: 200, kind: 'fired', severity: 'P1' }]);
  });
});

describe('stepRule: no data is not good news', () => {
  /** p95 latency averaged over 2 s: > 5000 ms is P1. */
  const slow: RuleSpec = { name: 'slow', forMs: 0, bands: [band('P1', leaf({ signal: 'p95', fn: 'avg', windowMs: 2 * SEC }, 'gt', 5000))] };

  it('keeps a firing rule firing, with no event, while its window is empty', () => {
    const h = new Harness(slow, 'p95').tick(0, 9750);
    expect(h.events).toEqual([{ at: 0, kind: 'fired', severity: 'P1' }]);
    h.tick(3).tick(5).tick(8);
    expect(h.state.phase).toBe('firing');
    expect(h.events).toHaveLength(1);
  });

  it('clears it as soon as a sample shows it no longer holds', () => {
    const h = new Harness(slow, 'p95').tick(0, 9750).tick(3).tick(6, 40);
    expect(h.events.map((e) => e.kind)).toEqual(['fired', 'cleared']);
  });
});

describe('stepRule: forecasts', () => {
  /** Disk full (95 %) in < 4 h over a 20 min window, a sample every minute: P1. */
  const fullSoon: RuleSpec = {
    name: 'disk-full-soon', forMs: 0,
    bands: [band('P1', leaf({ signal: 'disk', fn: 'time_to_threshold', windowMs: 20 * 60 * SEC, thresholdValue: 95, minConfidence: 0.8 }, 'lt', 4))],
  };

  it('fires once the filling disk has been watched for half the window, and clears when it stops filling', () => {
    const h = new Harness(fullSoon, 'disk');
    // +10 %/h from 70 %: full in 2.5 h.
    for (let m = 0; m <= 9; m++) h.tick(m * 60, 70 + m / 6);
    expect(h.events).toEqual([]);
    expect(h.state.explain).toBe('time_to_threshold(disk, 1200s, 95): samples span 9m0s, a trend needs 10m0s of the 20m0s window');
    h.tick(600, 70 + 10 / 6);
    expect(h.events).toEqual([{ at: 600, kind: 'fired', severity: 'P1' }]);
    // It stops at 72 %: once the window sees only the flat part, the forecast is "never" and the incident clears.
    for (let m = 11; m <= 31; m++) h.tick(m * 60, 72);
    expect(h.events.map((e) => e.kind)).toEqual(['fired', 'cleared']);
    expect(h.state.explain).toBe('time_to_threshold(disk, 1200s, 95) = never not < 4 (R² 1)');
  });
});
