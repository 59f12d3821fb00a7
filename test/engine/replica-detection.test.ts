import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/records.js';
import type { CompiledRule } from '../../src/config/types.js';
import { Detector, type Problem } from '../../src/incidents/detector.js';
import { SignalBuffer } from '../../src/core/signals.js';
import { configYaml, startHarness, type Harness } from '../support/engine-harness.js';
import { FakeClock } from '../support/fake-clock.js';

/** http_up of every replica of `web` (the down ones 0), plus the group's worst, as the http probe reports them. */
function healthSamples(at: number, down: readonly number[], replicas = 5) {
  const perReplica = Array.from({ length: replicas }, (_, i) => ({
    source: 'test', target: 'web', name: 'http_up', value: down.includes(i) ? 0 : 1, labels: { replica: String(i) }, at,
  }));
  return [...perReplica, { source: 'test', target: 'web', name: 'http_up', value: down.length > 0 ? 0 : 1, labels: {}, at }];
}

const RULES = `
rules:
  - name: web-unhealthy
    description: /health failed 3 checks in a row.
    targets: [web]
    severity: P1
    condition: { signal: http_up, fn: max, samples: 3, lt: 1 }
`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('rules over a replica group', () => {
  it('fire once per bad replica, with the replica in the problem, never for the group as well', () => {
    const buffer = new SignalBuffer({ maxAgeMs: 60_000, maxPointsPerSeries: 100 });
    const rule = {
      name: 'web-unhealthy', targets: ['web'], priority: 0, forMs: 0,
      bands: [{ severity: 'P1', condition: { kind: 'compare', value: { signal: 'http_up', fn: 'max', samples: 3 }, op: 'lt', threshold: 1 } }],
    } as unknown as CompiledRule;
    const fired: Problem[] = [];
    const cleared: Record<string, string>[] = [];
    const detector = new Detector([rule], ['web'], buffer, {
      fired: (p) => fired.push(p), escalated: () => undefined, cleared: (_r, _t, _e, labels) => cleared.push(labels),
    });
    const feed = (at: number, down: number[]) => {
      buffer.add(healthSamples(at, down));
      detector.onSignals('web', ['http_up'], at);
    };
    for (let t = 1; t <= 3; t++) feed(t * 1000, [2]);
    expect(fired.map((p) => p.labels)).toEqual([{ replica: '2' }]);

    for (let t = 4; t <= 6; t++) feed(t * 1000, [2, 4]);
    expect(fired.map((p) => p.labels)).toEqual([{ replica: '2' }, { replica: '4' }]);
    expect(detector.state('web-unhealthy', 'web', { replica: '2' }).phase).toBe('firing');
    expect(detector.state('web-unhealthy', 'web', { replica: '0' }).phase).toBe('ok');

    // Replica 2 heals: only its problem clears.
    detector.markActive('web-unhealthy', 'web', true, { replica: '2' });
    detector.markActive('web-unhealthy', 'web', true, { replica: '4' });
    feed(7000, [4]);
    expect(cleared).toEqual([{ replica: '2' }]);
  });

  it('read a group-only signal from the group inside a per-replica judgement; a group read sees only the group', () => {
    const buffer = new SignalBuffer({ maxAgeMs: 60_000, maxPointsPerSeries: 100 });
    const leaf = (signal: string, op: string, threshold: number) => ({ kind: 'compare', value: { signal, fn: 'last' }, op, threshold });
    const rule = {
      name: 'down-while-others-serve', targets: ['web'], priority: 0, forMs: 0,
      bands: [{ severity: 'P2', condition: { kind: 'all', of: [leaf('http_up', 'lt', 1), leaf('process_replicas_running', 'gte', 4)] } }],
    } as unknown as CompiledRule;
    const fired: Problem[] = [];
    const detector = new Detector([rule], ['web'], buffer, { fired: (p) => fired.push(p), escalated: () => undefined, cleared: () => undefined });
    buffer.add([...healthSamples(1000, [1]), { source: 'test', target: 'web', name: 'process_replicas_running', value: 5, labels: {}, at: 1000 }]);
    detector.onSignals('web', ['http_up', 'process_replicas_running'], 1000);
    expect(fired.map((p) => p.labels)).toEqual([{ replica: '1' }]);
    expect(fired[0]!.explain).toBe('http_up = 0 < 1 and process_replicas_running = 5 >= 4');
    expect(buffer.points('web', 'http_up').map((p) => p.value)).toEqual([0]);
    expect(buffer.points('web', 'http_up', { replica: '3' }).map((p) => p.value)).toEqual([1]);
    expect(buffer.replicas('web', 'http_up')).toEqual(['0', '1', '2', '3', '4']);
    expect(buffer.replicas('web', 'process_replicas_running')).toEqual([]);
  });

  it('open one incident per replica: the replica is in its labels, fingerprint and title', async () => {
    const clock = new FakeClock();
    h = await startHarness({ config: configYaml(RULES), runbooks: [], clock, feed: false });
    const engine = h.engine;
    const opened: Incident[] = [];
    engine.events.on('incident:opened', ({ incident }) => opened.push(incident));
    const feed = async (down: number[]) => {
      await clock.advance(1000);
      engine.ingest(healthSamples(clock.now(), down));
      await engine.idle();
    };
    for (let i = 0; i < 3; i++) await feed([2]);
    for (let i = 0; i < 3; i++) await feed([2, 4]);
    expect(opened.map((i) => i.labels)).toEqual([{ replica: '2' }, { replica: '4' }]);
    expect(opened.map((i) => i.title)).toEqual([
      '/health failed 3 checks in a row. (web replica 2)',
      '/health failed 3 checks in a row. (web replica 4)',
    ]);
    expect(new Set(opened.map((i) => i.fingerprint)).size).toBe(2);
    expect(opened[0]!.fingerprint).toBe('web-unhealthy|web|replica=2');
    // The same replica failing on: still the one incident.
    for (let i = 0; i < 3; i++) await feed([2, 4]);
    expect(opened).toHaveLength(2);
  });
});
