import type { Point } from '../../src/core/window.js';

/** Deterministic pseudo-noise (mulberry32): the same seed gives the same series on every run. */
export function noise(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** `count` samples `stepMs` apart ending at `end`, valued by `f(hoursBeforeEnd)` (0 at `end`, negative before). */
export function series(end: number, stepMs: number, count: number, f: (h: number, i: number) => number): Point[] {
  return Array.from({ length: count }, (_, i) => {
    const at = end - (count - 1 - i) * stepMs;
    return { at, value: f((at - end) / 3_600_000, i) };
  });
}
