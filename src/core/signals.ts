import type { Signal } from './signal.js';
import type { Point, SeriesSource } from './window.js';

interface LabeledPoint extends Point {
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Recent samples per target and signal, in memory, for the rule windows.
 * Bounded twice: by age and by count per series, so a chatty probe cannot
 * grow the engine's memory. The store keeps the longer history.
 */
export class SignalBuffer implements SeriesSource {
  private readonly series = new Map<string, LabeledPoint[]>();

  constructor(private readonly opts: { maxAgeMs: number; maxPointsPerSeries: number }) {}

  /** A rule added at run time may read a longer window than any before it: keep at least that much. */
  keepAtLeast(ms: number): void {
    if (ms > this.opts.maxAgeMs) this.opts.maxAgeMs = ms;
  }

  /** The mean of each named signal's samples since `since`; a signal with none is left out. */
  recentMeans(target: string, names: readonly string[], since: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of names) {
      const pts = this.points(target, name).filter((p) => p.at > since);
      if (pts.length > 0) out[name] = pts.reduce((a, p) => a + p.value, 0) / pts.length;
    }
    return out;
  }

  add(signals: readonly Signal[]): void {
    for (const s of signals) {
      const key = seriesKey(s.target, s.name);
      let list = this.series.get(key);
      if (!list) this.series.set(key, (list = []));
      const p: LabeledPoint = { at: s.at, value: s.value, labels: s.labels };
      // Keep time order even when samples of one series arrive out of order.
      if (list.length === 0 || list[list.length - 1]!.at <= s.at) list.push(p);
      else list.splice(insertionIndex(list, s.at), 0, p);
      if (list.length > this.opts.maxPointsPerSeries) list.splice(0, list.length - this.opts.maxPointsPerSeries);
    }
  }

  points(target: string, signal: string, labels?: Readonly<Record<string, string>>): readonly Point[] {
    const list = this.series.get(seriesKey(target, signal)) ?? [];
    if (!labels || Object.keys(labels).length === 0) return list;
    return list.filter((p) => Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  }

  /** Names of the signals held for a target. */
  names(target: string): string[] {
    const prefix = `${target}\u0000`;
    return [...this.series.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  latest(target: string, signal: string): Point | undefined {
    return this.series.get(seriesKey(target, signal))?.at(-1);
  }

  prune(now: number): void {
    const cutoff = now - this.opts.maxAgeMs;
    for (const [key, list] of this.series) {
      const keep = list.findIndex((p) => p.at >= cutoff);
      if (keep === -1) this.series.delete(key);
      else if (keep > 0) list.splice(0, keep);
    }
  }
}

function seriesKey(target: string, name: string): string {
  return `${target}\u0000${name}`;
}

function insertionIndex(list: readonly Point[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
