import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250], ['30s', 30_000], ['1m', 60_000], ['1h', 3_600_000], ['7d', 604_800_000],
    ['1h30m', 5_400_000], ['1m30s', 90_000], ['2m500ms', 120_500], ['1.5s', 1500], ['0.5m', 30_000],
    ['100', 100], ['0', 0], ['  30s  ', 30_000], ['1.25', 1.25], ['0s', 0], ['1h1h', 7_200_000],
  ] as [string, number][])('reads "%s" as %d ms', (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each([
    '', '   ', 'abc', '30x', '-5s', '30 s', '5m10', 's', '1e3', '.5s', '1.s', '30S', '1h 30m', 'ms30',
  ])('refuses "%s"', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([[0, 0], [1500, 1500], [0.5, 0.5]])('takes the number %d as milliseconds', (n, want) => {
    expect(parseDuration(n)).toBe(want);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses the number %d', (n) => {
    expect(parseDuration(n)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'], [250, '250ms'], [999, '999ms'],
    [1000, '1s'], [1500, '1.5s'], [1234, '1.23s'], [9990, '9.99s'],
    [10_000, '10s'], [12_345, '12.3s'], [20_000, '20s'], [59_900, '59.9s'],
    [60_000, '1m0s'], [90_000, '1m30s'], [3_599_000, '59m59s'],
    [3_600_000, '1h0m'], [5_400_000, '1h30m'], [90_000_000, '25h0m'],
  ] as [number, string][])('writes %d ms as "%s"', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it('reads back what it writes for whole units', () => {
    for (const ms of [250, 1000, 30_000, 90_000, 5_400_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it('carries a rounded-up minute instead of writing "1m60s"', () => {
    expect(formatDuration(119_600)).toBe('2m0s');
  });

  it('carries a rounded-up hour instead of writing "1h60m"', () => {
    expect(formatDuration(7_170_000)).toBe('2h0m');
  });
});
