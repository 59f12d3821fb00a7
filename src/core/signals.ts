import { REPLICA_LABEL } from './fingerprint.js';
import type { Signal } from './signal.js';
import type { Point, SeriesSource } from './window.js';

interface LabeledPoint extends Point {
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Recent samples per target and signal, in memory, for the rule windows.
 * Bounded twice: by age and by count per series, so a chatty probe cannot
 * grow the engine's memory. The store keeps the longer history. A replica's
 * samples (label `replica`) are a series of their own, next to the group's.
 */
export class SignalBuffer implements SeriesSource {
  private readonly series = new Map<string, LabeledPoint[]>();
  /** target+signal → the replicas that have a series of it. */
  private readonly replicaIndex = new Map<string, Set<string>>();

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
      const replica = s.labels[REPLICA_LABEL];
      const key = seriesKey(s.target, s.name, replica);
      let list = this.series.get(key);
      if (!list) {
        this.series.set(key, (list = []));
        if (replica !== undefined) this.indexReplica(s.target, s.name).add(replica);
      }
      const p: LabeledPoint = { at: s.at, value: s.value, labels: s.labels };
      // Keep time order even when samples of one series arrive out of order.
      if (list.length === 0 || list[list.length - 1]!.at <= s.at) list.push(p);
      else list.splice(insertionIndex(list, s.at), 0, p);
      if (list.length > this.opts.maxPointsPerSeries) list.splice(0, list.length - this.opts.maxPointsPerSeries);
    }
  }

  points(target: string, signal: string, labels?: Readonly<Record<string, string>>): readonly Point[] {
    const list = this.series.get(seriesKey(target, signal, labels?.[REPLICA_LABEL])) ?? [];
    const others = Object.entries(labels ?? {}).filter(([k]) => k !== REPLICA_LABEL);
    if (others.length === 0) return list;
    return list.filter((p) => others.every(([k, v]) => p.labels[k] === v));
  }

  replicas(target: string, signal: string): readonly string[] {
    return [...(this.replicaIndex.get(seriesKey(target, signal)) ?? [])];
  }

  /** Names of the signals held for a target (for the group or for any replica). */
  names(target: string): string[] {
    const prefix = `${target}\u0000`;
    const names = [...this.series.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('\u0000')[0]!);
    return [...new Set(names)];
  }

  latest(target: string, signal: string): Point | undefined {
    return this.series.get(seriesKey(target, signal))?.at(-1);
  }

  prune(now: number): void {
    const cutoff = now - this.opts.maxAgeMs;
    for (const [key, list] of this.series) {
      const keep = list.findIndex((p) => p.at >= cutoff);
      if (keep === -1) this.dropSeries(key);
      else if (keep > 0) list.splice(0, keep);
    }
  }

  private indexReplica(target: string, name: string): Set<string> {
    const key = seriesKey(target, name);
    let set = this.replicaIndex.get(key);
    if (!set) this.replicaIndex.set(key, (set = new Set()));
    return set;
  }

  /** A replica whose samples all aged out (scaled down, say) is no longer judged. */
  private dropSeries(key: string): void {
    this.series.delete(key);
    const [target, name, replica] = key.split('\u0000') as [string, string, string | undefined];
    if (replica === undefined) return;
    const set = this.replicaIndex.get(seriesKey(target, name));
    set?.delete(replica);
    if (set?.size === 0) this.replicaIndex.delete(seriesKey(target, name));
  }
}

function seriesKey(target: string, name: string, replica?: string): string {
  return replica === undefined ? `${target}\u0000${name}` : `${target}\u0000${name}\u0000${replica}`;
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
