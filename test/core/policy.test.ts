import { describe, expect, it } from 'vitest';
import { breakerKey, closedBreaker, recordFailure, type BreakerState } from '../../src/core/breaker.js';
import type { Hit } from '../../src/core/limits.js';
import { clockTime, decide, type PolicyInput, type PolicySettings } from '../../src/core/policy.js';
import { HOUR, MIN, SEC, T0 } from './series.js';

/** SPEC §5 defaults, with a concurrency cap of 2. */
const settings: PolicySettings = {
  mode: 'active',
  autoRemediation: true,
  approval: { P0: 'required', P1: 'required', P2: 'auto', P3: 'auto' },
  rateLimits: { globalPerMinute: 1, globalPerHour: 10, perTargetPerHour: 10 },
  cooldownMs: 120 * SEC,
  maxConcurrent: 2,
  blastRadius: { targetsPerHour: 3 },
};

/** 11:00:00 UTC; hits below are placed relative to it. */
const NOW = T0 + HOUR;

const input = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  now: NOW,
  trigger: 'auto',
  dryRun: false,
  severity: 'P2',
  runbook: { name: 'restart-web', approval: 'by_severity' },
  target: 'web',
  silencedBy: null,
  breaker: null,
  hits: [],
  heldOnTarget: [],
  runningOnTarget: [],
  runningTotal: 0,
  ...over,
});

const hit = (agoMs: number, target = 'web', runbook = 'restart-web', automatic = true): Hit => ({ at: NOW - agoMs, target, runbook, automatic });

const openBreaker = (...times: number[]): BreakerState =>
  times.reduce((b, t) => recordFailure(b, t, 3), closedBreaker(breakerKey('restart-web', 'web')));

/** 10:02, 10:05 and 10:09 — the SPEC's example. */
const OPEN = openBreaker(T0 + 2 * MIN, T0 + 5 * MIN, T0 + 9 * MIN);

describe('decide: approval', () => {
  it.each(['P2', 'P3'] as const)('runs %s at once', (severity) => {
    expect(decide(settings, input({ severity }))).toEqual({ kind: 'run', reason: `auto: ${severity} runs at once` });
  });

  it.each(['P0', 'P1'] as const)('asks a person to approve %s', (severity) => {
    expect(decide(settings, input({ severity }))).toEqual({ kind: 'approval', reason: `needs approval: ${severity}` });
  });

  it('follows the settings when P2 is configured to need approval', () => {
    const strict = { ...settings, approval: { ...settings.approval, P2: 'required' as const } };
    expect(decide(strict, input({ severity: 'P2' }))).toEqual({ kind: 'approval', reason: 'needs approval: P2' });
  });

  it('asks for approval of a runbook that always requires it, even for P3', () => {
    expect(decide(settings, input({ severity: 'P3', runbook: { name: 'restart-db', approval: 'required' } }))).toEqual({
      kind: 'approval', reason: 'needs approval: runbook restart-db always requires it',
    });
  });

  it('runs a runbook approved for automatic runs even for P0', () => {
    expect(decide(settings, input({ severity: 'P0', runbook: { name: 'restart-web', approval: 'auto' } }))).toEqual({
      kind: 'run', reason: 'auto: P0, runbook restart-web is approved for automatic runs',
    });
  });

  it('asks for approval of a manual run of a P1 too', () => {
    expect(decide(settings, input({ trigger: 'manual', severity: 'P1' }))).toEqual({ kind: 'approval', reason: 'needs approval: P1' });
  });
});

describe('decide: blast radius', () => {
  const fleet = [hit(50 * MIN, 'a'), hit(40 * MIN, 'b'), hit(30 * MIN, 'c')];

  it('needs approval once the runbook touched N other targets in the last hour', () => {
    expect(decide(settings, input({ hits: fleet }))).toEqual({
      kind: 'approval', reason: 'needs approval: blast radius, restart-web already touched 3 targets in the last hour (a, b, c)',
    });
  });

  it('runs while fewer than N other targets were touched', () => {
    expect(decide(settings, input({ hits: fleet.slice(0, 2) })).kind).toBe('run');
  });

  it('does not count the target asked about', () => {
    expect(decide(settings, input({ hits: [hit(50 * MIN, 'a'), hit(40 * MIN, 'b'), hit(30 * MIN, 'web')] })).kind).toBe('run');
  });

  it('counts each target once however often it was touched', () => {
    const hits = [hit(50 * MIN, 'a'), hit(45 * MIN, 'a'), hit(40 * MIN, 'b'), hit(35 * MIN, 'b')];
    expect(decide(settings, input({ hits })).kind).toBe('run');
  });

  it('does not count other runbooks or targets touched more than an hour ago', () => {
    const hits = [hit(HOUR, 'a'), hit(50 * MIN, 'b', 'other'), hit(40 * MIN, 'c'), hit(30 * MIN, 'd')];
    expect(decide(settings, input({ hits })).kind).toBe('run');
  });

  it('overrides a runbook approved for automatic runs', () => {
    expect(decide(settings, input({ hits: fleet, runbook: { name: 'restart-web', approval: 'auto' } })).kind).toBe('approval');
  });

  it('counts each replica of a group on its own, the one asked about excluded', () => {
    const replicas = ['0', '1', '2'].map((r, i) => ({ ...hit((50 - i) * MIN, 'web'), replica: r }));
    expect(decide(settings, input({ hits: replicas, replica: '3' }))).toEqual({
      kind: 'approval',
      reason: 'needs approval: blast radius, restart-web already touched 3 targets or replicas in the last hour (web replica 0, web replica 1, web replica 2)',
    });
    expect(decide(settings, input({ hits: replicas, replica: '2' })).kind).toBe('run');
  });

  it('lists at most five of the touched targets', () => {
    const hits = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((t, i) => hit((50 - i) * MIN, t, 'restart-web', false));
    const strict = { ...settings, rateLimits: { ...settings.rateLimits, globalPerHour: 100 } };
    expect(decide(strict, input({ hits }))).toEqual({
      kind: 'approval', reason: 'needs approval: blast radius, restart-web already touched 7 targets in the last hour (a, b, c, d, e)',
    });
  });
});

describe('decide: verdicts that stop a run', () => {
  it('records a silenced incident and does not act on it', () => {
    expect(decide(settings, input({ silencedBy: 'maint-42' }))).toEqual({
      kind: 'silenced', reason: 'silenced by maint-42: recorded, not acted on',
    });
  });

  it('plans a dry run without changing anything', () => {
    expect(decide(settings, input({ dryRun: true }))).toEqual({ kind: 'dry_run', reason: 'dry run: planned, nothing changed' });
  });

  it('says what it would have done in shadow mode', () => {
    expect(decide({ ...settings, mode: 'shadow' }, input())).toEqual({
      kind: 'shadow', reason: 'shadow mode: would run restart-web on web; nothing changed',
    });
  });

  it('refuses automatic runs while the kill switch is on', () => {
    expect(decide({ ...settings, autoRemediation: false }, input())).toEqual({
      kind: 'refuse', reason: 'kill switch is on: automatic remediation is off',
    });
  });

  it('lets a person run by hand while the kill switch is on', () => {
    expect(decide({ ...settings, autoRemediation: false }, input({ trigger: 'manual' })).kind).toBe('run');
  });

  it('refuses while the circuit is open and lists the failure times', () => {
    expect(decide(settings, input({ breaker: OPEN }))).toEqual({
      kind: 'refuse', reason: 'blocked: circuit open after 3 failures at 10:02:00, 10:05:00, 10:09:00; a person must reset it',
    });
  });

  it('lists only the last five failure times but counts them all', () => {
    const b = openBreaker(...[1, 2, 3, 4, 5, 6, 7].map((m) => T0 + m * MIN));
    expect(decide(settings, input({ breaker: b }))).toMatchObject({
      reason: 'blocked: circuit open after 7 failures at 10:03:00, 10:04:00, 10:05:00, 10:06:00, 10:07:00; a person must reset it',
    });
  });

  it('does not block on a closed breaker that has seen failures', () => {
    expect(decide(settings, input({ breaker: openBreaker(T0, T0 + MIN) })).kind).toBe('run');
  });

  it('lets a person run by hand while the circuit is open', () => {
    expect(decide(settings, input({ trigger: 'manual', breaker: OPEN })).kind).toBe('run');
  });

  it('defers while the target is busy', () => {
    expect(decide(settings, input({ runningOnTarget: ['ex-7', 'ex-9'], runningTotal: 2 }))).toEqual({
      kind: 'defer', reason: 'target web busy: execution ex-7 is running', retryAt: null,
    });
  });

  it('defers while an execution on the target is held for a person, and says how to end that', () => {
    expect(decide(settings, input({ heldOnTarget: ['exe_held'] }))).toEqual({
      kind: 'defer', reason: 'target web is held: execution exe_held waits for a person (medic executions resume|abandon)', retryAt: null,
    });
  });

  it('defers a manual run on a held target too', () => {
    expect(decide(settings, input({ trigger: 'manual', heldOnTarget: ['exe_held'], runningTotal: 0 })).kind).toBe('defer');
  });

  it('defers a manual run on a busy target too', () => {
    expect(decide(settings, input({ trigger: 'manual', runningOnTarget: ['ex-7'], runningTotal: 1 })).kind).toBe('defer');
  });

  it('defers at the concurrency cap', () => {
    expect(decide(settings, input({ runningTotal: 2 }))).toEqual({
      kind: 'defer', reason: 'concurrency cap: 2/2 executions running', retryAt: null,
    });
  });

  it('runs below the concurrency cap', () => {
    expect(decide(settings, input({ runningTotal: 1 })).kind).toBe('run');
  });

  it('defers a manual run at the concurrency cap too', () => {
    expect(decide(settings, input({ trigger: 'manual', runningTotal: 5 })).kind).toBe('defer');
  });
});

describe('decide: cooldown', () => {
  it('defers a second run of the same runbook on the same target, saying until when', () => {
    expect(decide(settings, input({ hits: [hit(90 * SEC)] }))).toEqual({
      kind: 'defer', reason: 'cooldown: restart-web ran on web at 10:58:30; next at 11:00:30', retryAt: NOW + 30 * SEC,
    });
  });

  it('lets it run once the cooldown has passed exactly', () => {
    expect(decide(settings, input({ hits: [hit(120 * SEC)] })).kind).toBe('run');
  });

  it('judges by the latest run of that runbook on that target', () => {
    const hits = [hit(10 * MIN), hit(100 * SEC), hit(30 * MIN, 'db')];
    expect(decide(settings, input({ hits }))).toMatchObject({ kind: 'defer', retryAt: NOW + 20 * SEC });
  });

  it('uses the runbook\'s own cooldown over the default', () => {
    expect(decide(settings, input({ hits: [hit(90 * SEC)], runbook: { name: 'restart-web', approval: 'by_severity', cooldownMs: 60 * SEC } })).kind).toBe('run');
    expect(decide(settings, input({ hits: [hit(5 * MIN)], runbook: { name: 'restart-web', approval: 'by_severity', cooldownMs: 10 * MIN } })))
      .toMatchObject({ kind: 'defer', retryAt: NOW + 5 * MIN });
  });

  it('treats a runbook cooldown of 0 as no cooldown, not as "use the default"', () => {
    const rb = { name: 'restart-web', approval: 'by_severity' as const, cooldownMs: 0 };
    expect(decide(settings, input({ hits: [hit(90 * SEC)], runbook: rb })).kind).toBe('run');
  });

  it('falls back to the default cooldown when the runbook has null', () => {
    const rb = { name: 'restart-web', approval: 'by_severity' as const, cooldownMs: null };
    expect(decide(settings, input({ hits: [hit(90 * SEC)], runbook: rb })).kind).toBe('defer');
  });

  it('does not hold a different runbook or a different target', () => {
    expect(decide(settings, input({ hits: [hit(90 * SEC, 'db')] })).kind).toBe('run');
    expect(decide(settings, input({ hits: [hit(90 * SEC, 'web', 'clear-cache')] })).kind).toBe('run');
  });

  it('does not hold a manual run', () => {
    expect(decide(settings, input({ trigger: 'manual', hits: [hit(90 * SEC)] })).kind).toBe('run');
  });

  it('holds an automatic run after a manual one', () => {
    expect(decide(settings, input({ hits: [hit(90 * SEC, 'web', 'restart-web', false)] })).kind).toBe('defer');
  });

  it('holds the cooldown when the clock went back behind the last run', () => {
    // The run happened a moment ago, then NTP stepped the clock back 30 s: the
    // last run now looks 25 s in the future and the cooldown is skipped.
    expect(decide(settings, input({ hits: [hit(-25 * SEC)] })).kind).toBe('defer');
  });
});

describe('decide: rate limits', () => {
  it('defers past the global per-minute limit, saying when it frees up', () => {
    expect(decide(settings, input({ hits: [hit(30 * SEC, 'db', 'clear-cache')] }))).toEqual({
      kind: 'defer', reason: 'rate limit: 1 executions per minute (1/1)', retryAt: NOW + 30 * SEC,
    });
  });

  it('counts manual executions towards the limit of automatic ones', () => {
    expect(decide(settings, input({ hits: [hit(30 * SEC, 'db', 'clear-cache', false)] })).kind).toBe('defer');
  });

  it('does not hold a manual run by the rate limits', () => {
    const hits = Array.from({ length: 12 }, (_, i) => hit((i + 1) * SEC, `t${i}`, 'clear-cache'));
    expect(decide(settings, input({ trigger: 'manual', hits })).kind).toBe('run');
  });

  it('defers past the global per-hour limit', () => {
    const hits = Array.from({ length: 10 }, (_, i) => hit((55 - i * 5) * MIN, `t${i}`, 'clear-cache'));
    expect(decide(settings, input({ hits }))).toEqual({
      kind: 'defer', reason: 'rate limit: 10 executions per hour (10/10)', retryAt: NOW + 5 * MIN,
    });
  });

  it('defers past the per-target limit, naming the target', () => {
    const strict = { ...settings, rateLimits: { ...settings.rateLimits, perTargetPerHour: 2 } };
    const hits = [hit(40 * MIN, 'web', 'clear-cache'), hit(20 * MIN, 'web', 'rotate-logs'), hit(10 * MIN, 'db', 'clear-cache')];
    expect(decide(strict, input({ hits }))).toEqual({
      kind: 'defer', reason: 'rate limit: 2 executions per hour on web (2/2)', retryAt: NOW + 20 * MIN,
    });
  });

  it('does not count hits on other targets towards the per-target limit', () => {
    const strict = { ...settings, rateLimits: { ...settings.rateLimits, perTargetPerHour: 2 } };
    const hits = [hit(40 * MIN, 'db', 'clear-cache'), hit(20 * MIN, 'db', 'clear-cache')];
    expect(decide(strict, input({ hits })).kind).toBe('run');
  });

  it('holds the per-minute limit when the clock went back behind the last run', () => {
    // A run on db a moment ago, then the clock stepped back 30 s: hitsWithin drops "future" hits.
    expect(decide(settings, input({ hits: [hit(-25 * SEC, 'db', 'clear-cache')] })).kind).toBe('defer');
  });

  it('frees the per-minute limit exactly a minute after the hit', () => {
    expect(decide(settings, input({ hits: [hit(MIN, 'db', 'clear-cache')] })).kind).toBe('run');
  });
});

describe('decide: order of checks', () => {
  const everything: Partial<PolicyInput> = {
    silencedBy: 'maint-42',
    dryRun: true,
    breaker: OPEN,
    runningOnTarget: ['ex-1'],
    runningTotal: 9,
    severity: 'P0',
    hits: [hit(10 * SEC), hit(20 * SEC, 'a'), hit(30 * SEC, 'b'), hit(40 * SEC, 'c')],
  };
  const off: PolicySettings = { ...settings, mode: 'shadow', autoRemediation: false };

  /** Peels one reason off at a time and checks which verdict comes next. */
  it.each([
    ['silence', {}, off, 'silenced'],
    ['dry run', { silencedBy: null }, off, 'dry_run'],
    ['shadow', { silencedBy: null, dryRun: false }, off, 'shadow'],
    ['kill switch', { silencedBy: null, dryRun: false }, { ...off, mode: 'active' }, 'refuse'],
  ] as [string, Partial<PolicyInput>, PolicySettings, string][])('%s comes first of what is left', (_name, over, s, kind) => {
    expect(decide(s, input({ ...everything, ...over })).kind).toBe(kind);
  });

  it('checks the kill switch before the circuit', () => {
    expect(decide({ ...settings, autoRemediation: false }, input({ ...everything, silencedBy: null, dryRun: false })).reason)
      .toBe('kill switch is on: automatic remediation is off');
  });

  it('checks the circuit before a busy target', () => {
    expect(decide(settings, input({ ...everything, silencedBy: null, dryRun: false })).reason).toMatch(/^blocked: circuit open/);
  });

  it('checks a busy target before the concurrency cap', () => {
    expect(decide(settings, input({ ...everything, silencedBy: null, dryRun: false, breaker: null })).reason)
      .toBe('target web busy: execution ex-1 is running');
  });

  it('checks the concurrency cap before the cooldown', () => {
    expect(decide(settings, input({ ...everything, silencedBy: null, dryRun: false, breaker: null, runningOnTarget: [] })).reason)
      .toBe('concurrency cap: 9/2 executions running');
  });

  it('checks the cooldown before the rate limits', () => {
    const v = decide(settings, input({ ...everything, silencedBy: null, dryRun: false, breaker: null, runningOnTarget: [], runningTotal: 0 }));
    expect(v.reason).toBe('cooldown: restart-web ran on web at 10:59:50; next at 11:01:50');
  });

  it('checks the rate limits before approval, so nobody approves what could not run', () => {
    const v = decide(settings, input({ severity: 'P0', hits: [hit(20 * SEC, 'a')] }));
    expect(v).toEqual({ kind: 'defer', reason: 'rate limit: 1 executions per minute (1/1)', retryAt: NOW + 40 * SEC });
  });

  it('checks a required runbook approval before the blast radius', () => {
    const v = decide(settings, input({ hits: [hit(50 * MIN, 'a'), hit(40 * MIN, 'b'), hit(30 * MIN, 'c')], runbook: { name: 'restart-web', approval: 'required' } }));
    expect(v.reason).toBe('needs approval: runbook restart-web always requires it');
  });

  it('checks the blast radius before the severity', () => {
    const v = decide(settings, input({ severity: 'P0', hits: [hit(50 * MIN, 'a'), hit(40 * MIN, 'b'), hit(30 * MIN, 'c')] }));
    expect(v.reason).toMatch(/^needs approval: blast radius/);
  });
});

describe('clockTime', () => {
  it('prints the UTC time of day to the second', () => {
    expect(clockTime(Date.UTC(2026, 0, 1, 10, 2, 7, 999))).toBe('10:02:07');
    expect(clockTime(Date.UTC(2026, 5, 30, 23, 59, 59))).toBe('23:59:59');
  });
});
