import type { Point, SeriesSource } from '../../src/core/window.js';

interface Stored extends Point {
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The smallest SeriesSource that behaves like the engine's: samples per
 * target and signal, in the order they were added (which is "oldest first"
 * until a test moves the clock backwards), filtered by a label subset.
 */
export class MemorySeries implements SeriesSource {
  private readonly data = new Map<string, Stored[]>();

  add(target: string, signal: string, at: number, value: number, labels: Readonly<Record<string, string>> = {}): this {
    const key = `${target}\u0000${signal}`;
    const list = this.data.get(key) ?? [];
    list.push({ at, value, labels });
    this.data.set(key, list);
    return this;
  }

  points(target: string, signal: string, labels?: Readonly<Record<string, string>>): readonly Point[] {
    const list = this.data.get(`${target}\u0000${signal}`) ?? [];
    return list
      .filter((p) => Object.entries(labels ?? {}).every(([k, v]) => p.labels[k] === v))
      .map(({ at, value }) => ({ at, value }));
  }
}

/** 2026-01-01T10:00:00Z: reasons print clock times, so tests read "10:02:00". */
export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
