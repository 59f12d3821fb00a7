import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { compileConfig } from '../../src/config/load.js';
import { probes } from '../fixtures/registries.js';

const rules = (...lines: string[]): string => ['rules:', ...lines].join('\n');
const compile = (text: string) => compileConfig(text, 'medic.yaml', { probes });

function errorsOf(text: string): string[] {
  try {
    compile(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines();
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('forecast and anomaly conditions compile', () => {
  it('growth_percent_per_hour over a window', () => {
    const c = compile(rules('  - { name: leak, severity: P2, condition: { signal: process_rss_mb, fn: growth_percent_per_hour, window: 30m, gt: 3 } }'));
    expect(c.rules[0]!.bands[0]!.condition).toEqual({
      kind: 'compare', value: { signal: 'process_rss_mb', fn: 'growth_percent_per_hour', windowMs: 1_800_000 }, op: 'gt', threshold: 3,
    });
  });

  it('time_to_threshold with its threshold, a direction default and min_confidence', () => {
    const c = compile(rules(
      '  - name: disk-full-soon',
      '    severity: P1',
      '    condition: { signal: disk_used_percent, fn: time_to_threshold, threshold_value: 95, window: 2h, lt: 4, min_confidence: 0.8 }',
    ));
    expect(c.rules[0]!.bands[0]!.condition).toEqual({
      kind: 'compare',
      value: {
        signal: 'disk_used_percent', fn: 'time_to_threshold', windowMs: 7_200_000,
        thresholdValue: 95, direction: 'rising', minConfidence: 0.8,
      },
      op: 'lt',
      threshold: 4,
    });
  });

  it('time_to_threshold falling towards a lower limit', () => {
    const c = compile(rules('  - { name: f, severity: P1, condition: { signal: free_gb, fn: time_to_threshold, threshold_value: 1, direction: falling, samples: 30, lt: 4 } }'));
    expect(c.rules[0]!.bands[0]!.condition).toMatchObject({ value: { direction: 'falling', thresholdValue: 1, samples: 30 } });
  });

  it('anomaly_score with the default alpha and warm-up filled in', () => {
    const c = compile(rules('  - { name: odd, severity: P3, condition: { signal: latency_p95_ms, fn: anomaly_score, window: 30m, gt: 0.9 } }'));
    expect(c.rules[0]!.bands[0]!.condition).toEqual({
      kind: 'compare', value: { signal: 'latency_p95_ms', fn: 'anomaly_score', windowMs: 1_800_000, alpha: 0.1, warmup: 30 }, op: 'gt', threshold: 0.9,
    });
  });

  it('anomaly_score with its own alpha and warm-up', () => {
    const c = compile(rules('  - { name: odd, severity: P3, condition: { signal: l, fn: anomaly_score, window: 30m, alpha: 0.3, warmup: 60, gt: 0.9 } }'));
    expect(c.rules[0]!.bands[0]!.condition).toMatchObject({ value: { alpha: 0.3, warmup: 60 } });
  });

  it('the SPEC memory-leak bands as value + bands, with min_confidence on the value', () => {
    const c = compile(rules(
      '  - name: memory-leak',
      '    value: { signal: process_rss_mb, fn: growth_percent_per_hour, window: 30m, min_confidence: 0.7 }',
      '    bands:',
      '      - { severity: P1, gt: 8 }',
      '      - { severity: P2, gt: 3 }',
    ));
    expect(c.rules[0]!.bands.map((b) => [b.severity, b.condition])).toEqual([
      ['P1', expect.objectContaining({ op: 'gt', threshold: 8, value: expect.objectContaining({ minConfidence: 0.7 }) })],
      ['P2', expect.objectContaining({ op: 'gt', threshold: 3 })],
    ]);
  });

  it('inside all / any', () => {
    const c = compile(rules(
      '  - name: both',
      '    severity: P2',
      '    condition:',
      '      all:',
      '        - { signal: latency_p95_ms, fn: anomaly_score, window: 30m, gt: 0.9 }',
      '        - { signal: disk_used_percent, fn: slope_per_hour, window: 1h, gt: 0 }',
    ));
    expect(c.rules[0]!.bands[0]!.condition.kind).toBe('all');
  });
});

describe('forecast and anomaly conditions: errors name the field', () => {
  it('time_to_threshold without threshold_value', () => {
    expect(errorsOf(rules('  - { name: d, severity: P1, condition: { signal: disk, fn: time_to_threshold, window: 2h, lt: 4 } }'))).toEqual([
      "medic.yaml:2:41 rules[0].condition: fn 'time_to_threshold' needs 'threshold_value': the level whose crossing it forecasts (e.g. 95)",
    ]);
  });

  it('a parameter given to a function that does not read it', () => {
    expect(errorsOf(rules(
      '  - name: d',
      '    severity: P1',
      '    condition: { signal: disk, fn: avg, window: 2h, threshold_value: 95, min_confidence: 0.8, warmup: 40, gt: 4 }',
    ))).toEqual([
      "medic.yaml:4:70 rules[0].condition.threshold_value: 'threshold_value' is read only by time_to_threshold, not by fn 'avg'",
      "medic.yaml:4:90 rules[0].condition.min_confidence: 'min_confidence' is read only by slope_per_hour, growth_percent_per_hour, time_to_threshold, not by fn 'avg'",
      "medic.yaml:4:103 rules[0].condition.warmup: 'warmup' is read only by anomaly_score, not by fn 'avg'",
    ]);
  });

  it('a trend function without a window', () => {
    expect(errorsOf(rules('  - { name: d, severity: P2, condition: { signal: rss, fn: slope_per_hour, gt: 1 } }'))).toEqual([
      "medic.yaml:2:41 rules[0].condition: fn 'slope_per_hour' reads a window: add 'window' (e.g. 1m) or 'samples' (e.g. 3)",
    ]);
  });

  it('count windows too small to ever hold a trend or finish the warm-up', () => {
    expect(errorsOf(rules(
      '  - { name: a, severity: P2, condition: { signal: rss, fn: slope_per_hour, samples: 3, gt: 1 } }',
      '  - { name: b, severity: P2, condition: { signal: lat, fn: anomaly_score, samples: 20, gt: 0.9 } }',
      '  - { name: c, severity: P2, condition: { signal: lat, fn: anomaly_score, samples: 20, warmup: 10, gt: 0.9 } }',
    ))).toEqual([
      "medic.yaml:2:85 rules[0].condition.samples: fn 'slope_per_hour' fits a line through at least 5 samples: 3 would never be enough",
      "medic.yaml:3:84 rules[1].condition.samples: fn 'anomaly_score' is unknown until 30 samples (warmup): 20 would never get there",
    ]);
  });

  it('out-of-range parameters', () => {
    expect(errorsOf(rules(
      '  - name: d',
      '    severity: P1',
      '    condition: { signal: disk, fn: time_to_threshold, threshold_value: 95, window: 2h, lt: 4, min_confidence: 1.5 }',
      '  - name: a',
      '    severity: P2',
      '    condition: { signal: lat, fn: anomaly_score, window: 30m, alpha: 0, warmup: 2, gt: 0.9 }',
      '  - name: f',
      '    severity: P2',
      '    condition: { signal: free, fn: time_to_threshold, threshold_value: 1, direction: down, window: 2h, lt: 4 }',
    ))).toEqual([
      'medic.yaml:4:111 rules[0].condition.min_confidence: must be <= 1',
      'medic.yaml:7:70 rules[1].condition.alpha: must be > 0',
      'medic.yaml:7:81 rules[1].condition.warmup: must be >= 5',
      "medic.yaml:10:86 rules[2].condition.direction: expected one of rising, falling, got 'down'",
    ]);
  });

  it('a parameter next to all / any', () => {
    expect(errorsOf(rules('  - { name: d, severity: P1, condition: { min_confidence: 0.8, any: [{ signal: s, gt: 1 }] } }'))).toEqual([
      "medic.yaml:2:41 rules[0].condition: 'any' cannot be combined with 'min_confidence': put the comparison inside the list",
    ]);
  });
});

describe('docs/reference/forecasts-and-anomalies.md', () => {
  const blocks = [...readFileSync('docs/reference/forecasts-and-anomalies.md', 'utf8').matchAll(/```yaml\n(rules:\n[\s\S]*?)```/g)].map((m) => m[1]!);

  it.each(blocks.map((b, i) => [i, b]))('example rules %i compile', (_i, text) => {
    expect(compile(text).rules.length).toBeGreaterThan(0);
  });

  it('has the memory leak and disk full examples', () => {
    expect(blocks.join('\n')).toMatch(/memory-leak[\s\S]*disk-full-soon/);
  });
});
