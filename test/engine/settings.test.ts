import { afterEach, describe, expect, it } from 'vitest';
import { applyPatch, initialSettings, restoreSettings } from '../../src/engine/settings.js';
import type { EngineEvents } from '../../src/core/events.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
policy:
  cooldown: 0s
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P1, gt: 95 }
      - { severity: P2, gt: 85 }
`);

describe('runtime settings', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a lowered threshold is used on the next evaluation, audited, announced and stored', async () => {
    h = await startHarness({ config, runbooks: [] });
    const changed: EngineEvents['setting:changed'][] = [];
    h.engine.events.on('setting:changed', (e) => changed.push(e));
    h.world['cpu'] = 80;
    // 80 is under 85: the detector evaluates it and nothing holds.
    await h.next('signals');
    h.engine.detector.tick(Date.now());
    expect(h.engine.detector.state('cpu-high', 'web').phase).toBe('ok');

    const opened = h.next('incident:opened');
    const view = await h.engine.changeSettings({ ruleThresholds: { 'cpu-high': [{ severity: 'P2', threshold: 75 }] } }, 'root');
    expect(view.ruleThresholds['cpu-high']).toEqual([{ severity: 'P1', threshold: 95 }, { severity: 'P2', threshold: 75 }]);
    const { incident, explain } = await opened;
    expect(incident.severity).toBe('P2');
    expect(explain).toMatch(/> 75/);

    expect(changed).toEqual([{ key: 'rules.cpu-high.P2.threshold', value: 75, actor: 'root' }]);
    const audit = await h.engine.store.audit.list({ kind: 'setting' });
    expect(audit.items.map((a) => [a.actor, a.subject, a.details])).toEqual([['root', 'rules.cpu-high.P2.threshold', { from: 85, to: 75 }]]);
    expect(await h.engine.store.settings.get('runtime')).toMatchObject({ thresholds: { 'cpu-high': { P2: 75 } } });
  });

  it('kill switch, mode, rate limits and cooldown reach the policy at once', async () => {
    h = await startHarness({ config, runbooks: [] });
    const view = await h.engine.changeSettings({ autoRemediation: false, mode: 'shadow', rateLimits: { globalPerMinute: 5 }, cooldownMs: 30_000 }, 'root');
    expect(view).toMatchObject({ autoRemediation: false, mode: 'shadow', rateLimits: { globalPerMinute: 5, globalPerHour: 10, perTargetPerHour: 10 }, cooldownMs: 30_000 });
    expect(h.engine.policy()).toMatchObject({ autoRemediation: false, mode: 'shadow', rateLimits: { globalPerMinute: 5 }, cooldownMs: 30_000 });
    const audit = await h.engine.store.audit.list({ kind: 'setting' });
    expect(audit.items.map((a) => a.subject).sort()).toEqual(['autoRemediation', 'cooldownMs', 'mode', 'rateLimits.globalPerMinute']);
  });

  it('refuses a wrong field with bad_request naming it, and changes nothing', async () => {
    h = await startHarness({ config, runbooks: [] });
    const before = h.engine.settingsView();
    const cases = [
      [{ mode: 'loud' }, 'mode'],
      [{ autoRemediation: 'yes' }, 'autoRemediation'],
      [{ rateLimits: { globalPerMinute: -1 } }, 'rateLimits.globalPerMinute'],
      [{ rateLimits: { perDay: 3 } }, 'rateLimits.perDay'],
      [{ cooldownMs: -1 }, 'cooldownMs'],
      [{ colour: 'red' }, 'colour'],
      [{ ruleThresholds: { nope: [] } }, 'ruleThresholds.nope'],
      [{ ruleThresholds: { 'cpu-high': [{ severity: 'P0', threshold: 99 }] } }, 'ruleThresholds.cpu-high[0].severity'],
      [{ ruleThresholds: { 'cpu-high': [{ severity: 'P2', threshold: 'high' }] } }, 'ruleThresholds.cpu-high[0].threshold'],
      // The first part is fine, the second is not: neither applies.
      [{ mode: 'shadow', cooldownMs: 1.5 }, 'cooldownMs'],
    ] as const;
    for (const [patch, field] of cases) {
      await expect(h.engine.changeSettings(patch, 'root')).rejects.toMatchObject({ code: 'bad_request', details: { field } });
    }
    expect(h.engine.settingsView()).toEqual(before);
    expect((await h.engine.store.audit.list({ kind: 'setting' })).total).toBe(0);
  });
});

describe('settings state', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());
  const policy = { mode: 'active', autoRemediation: true, rateLimits: { globalPerMinute: 1, globalPerHour: 10, perTargetPerHour: 10 }, cooldownMs: 120_000 } as never;

  it('restores stored values over the config and ignores a stored value of the wrong shape', () => {
    const base = initialSettings(policy);
    const restored = restoreSettings(base, {
      mode: 'shadow', autoRemediation: 'no', rateLimits: { globalPerHour: 3, perTargetPerHour: -1 }, cooldownMs: 5,
      thresholds: { a: { P1: 5, P2: 'x', P9: 1 }, b: 'junk', c: { P0: null } },
    });
    expect(restored).toEqual({ mode: 'shadow', autoRemediation: true, rateLimits: { globalPerMinute: 1, globalPerHour: 3, perTargetPerHour: 10 }, cooldownMs: 5, thresholds: { a: { P1: 5 } } });
  });

  it('applies concurrent changes one after the other, losing none', async () => {
    h = await startHarness({ config, runbooks: [] });
    const engine = h.engine;
    await Promise.all([
      engine.changeSettings({ rateLimits: { globalPerMinute: 7 } }, 'a'),
      engine.changeSettings({ rateLimits: { globalPerHour: 70 } }, 'b'),
      engine.changeSettings({ ruleThresholds: { 'cpu-high': [{ severity: 'P1', threshold: 99 }] } }, 'c'),
      engine.changeSettings({ ruleThresholds: { 'cpu-high': [{ severity: 'P2', threshold: 80 }] } }, 'd'),
    ]);
    expect(engine.settingsView()).toMatchObject({
      rateLimits: { globalPerMinute: 7, globalPerHour: 70 },
      ruleThresholds: { 'cpu-high': [{ severity: 'P1', threshold: 99 }, { severity: 'P2', threshold: 80 }] },
    });
    expect(await engine.store.settings.get('runtime')).toMatchObject({ rateLimits: { globalPerMinute: 7, globalPerHour: 70 }, thresholds: { 'cpu-high': { P1: 99, P2: 80 } } });
  });

  it('reports no change for a patch that sets what is already set', () => {
    const base = initialSettings(policy);
    expect(applyPatch(base, { mode: 'active', rateLimits: { globalPerMinute: 1 } }, []).changes).toEqual([]);
  });
});
