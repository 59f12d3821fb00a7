import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';

const config = configYaml(`
rules:
  - name: cpu-high
    targets: [web]
    value: { signal: cpu, fn: last }
    bands:
      - { severity: P1, gt: 95 }
      - { severity: P2, gt: 85 }
`);

describe('what a person changed at run time outlives a restart', () => {
  let h: Harness | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('settings, thresholds, runtime rules and silences are there again after a restart', async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-restart-'));
    h = await startHarness({ config, runbooks: [], dataDir: dir });
    await h.engine.changeSettings({ autoRemediation: false, rateLimits: { perTargetPerHour: 3 }, ruleThresholds: { 'cpu-high': [{ severity: 'P2', threshold: 70 }] } }, 'root');
    await h.engine.createRule({ name: 'queue-long', value: { signal: 'queue', fn: 'last' }, bands: [{ severity: 'P3', gt: 100 }] }, 'alice');
    const silence = await h.engine.silences.create({ matchers: [{ label: 'rule', op: '=', value: 'queue-long' }], endsAt: Date.now() + 3_600_000, comment: 'noisy' }, 'alice');
    await h.close();

    h = await startHarness({ config, runbooks: [], dataDir: dir });
    expect(h.engine.settingsView()).toMatchObject({
      autoRemediation: false, rateLimits: { perTargetPerHour: 3, globalPerMinute: 1 },
      ruleThresholds: { 'cpu-high': [{ severity: 'P1', threshold: 95 }, { severity: 'P2', threshold: 70 }], 'queue-long': [{ severity: 'P3', threshold: 100 }] },
    });
    expect(h.engine.ruleList().map((r) => [r.name, r.source])).toEqual([['cpu-high', 'file'], ['queue-long', 'api']]);
    expect((await h.engine.silences.list()).map((s) => [s.id, s.state])).toEqual([[silence.id, 'active']]);
    // The silence applies again: a queue problem after the restart is recorded silenced.
    const opened = h.next('incident:opened');
    h.world['queue'] = 500;
    expect((await opened).incident).toMatchObject({ rule: 'queue-long', silenced: true });
  });
});
