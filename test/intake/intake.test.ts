import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '../../src/core/signal.js';
import { compileConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/drivers/log.js';
import { AlertIntake } from '../../src/intake/intake.js';
import type { IncomingAlert } from '../../src/intake/types.js';
import { builtinProbes } from '../../src/probes/index.js';
import { openSqliteStore, type KyselyStore } from '../../src/store/database.js';
import { FakeClock } from '../support/fake-clock.js';

const config = compileConfig(`
targets:
  - name: web-1
intake:
  routes:
    - matchers: ['alertname="Down"']
      rule: down
      severity: P1
    - matchers: ['alertname="Slow"']
      rule: down
`, 'medic.yaml', { probes: builtinProbes });

const alert = (fingerprint: string, status: 'firing' | 'resolved', over: Partial<IncomingAlert> = {}): IncomingAlert => ({
  fingerprint, status, labels: { alertname: 'Down', instance: 'web-1' }, annotations: {}, startsAt: 100, endsAt: null, ...over,
});

describe('alert intake state', () => {
  let store: KyselyStore;
  const intakes: AlertIntake[] = [];
  afterEach(async () => {
    for (const i of intakes.splice(0)) await i.stop();
    await store?.close();
  });

  const make = (clock: FakeClock, signals: Signal[]) => {
    const i = new AlertIntake({ routes: config.intake.routes, isTarget: (n) => n in config.targets, clock, log: silentLogger, store: store.alerts, ingest: (s) => void signals.push(...s) });
    intakes.push(i);
    return i;
  };

  it('reports the most severe firing alert per rule and target, and 0 when the last one resolves', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const clock = new FakeClock();
    const signals: Signal[] = [];
    const intake = make(clock, signals);
    await intake.accept('alertmanager', 'a', [alert('a', 'firing', { labels: { alertname: 'Slow', instance: 'web-1', severity: 'warning' } })]).persisted;
    await intake.accept('alertmanager', 'a', [alert('b', 'firing')]).persisted;
    await intake.accept('alertmanager', 'a', [alert('b', 'resolved')]).persisted;
    await intake.accept('alertmanager', 'a', [alert('a', 'resolved')]).persisted;
    expect(signals.map((s) => [s.target, s.name, s.value])).toEqual([
      ['web-1', 'alert:down', 2], ['web-1', 'alert:down', 3], ['web-1', 'alert:down', 2], ['web-1', 'alert:down', 0],
    ]);
  });

  it('a firing alert that comes after its own resolution is stale; a new startsAt fires again', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const intake = make(new FakeClock(), []);
    expect(intake.accept('am', 's', [alert('a', 'resolved')]).result).toMatchObject({ resolved: 1 });
    expect(intake.accept('am', 's', [alert('a', 'firing')]).result).toMatchObject({ firing: 0, deduplicated: 1 });
    expect(intake.accept('am', 's', [alert('a', 'firing', { startsAt: 200 })]).result).toMatchObject({ firing: 1 });
    await intake.stop();
    const outcomes = (await store.alerts.list({ order: 'asc' })).items.map((a) => a.outcome);
    expect(outcomes).toEqual(['resolved', 'stale', 'firing']);
  });

  it('what was firing before a restart is still firing after it: a re-send is a duplicate, and the level is reported again', async () => {
    store = await openSqliteStore({ file: ':memory:' });
    const clock = new FakeClock();
    const first = make(clock, []);
    await first.accept('am', 's', [alert('a', 'firing')]).persisted;
    await first.stop();

    const signals: Signal[] = [];
    const second = make(clock, signals);
    await second.load();
    second.start();
    expect(second.accept('am', 's', [alert('a', 'firing')]).result).toMatchObject({ firing: 0, deduplicated: 1 });
    await clock.advance(1_000);
    expect(signals.map((s) => [s.name, s.value])).toEqual([['alert:down', 3]]);
  });
});
