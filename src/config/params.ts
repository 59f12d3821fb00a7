import { z } from 'zod';
import type { PathSegment } from './errors.js';
import type { IssueList } from './issues.js';

/**
 * Probe and action plugins are injected, never imported, so src/config does
 * not depend on src/probes or src/actions: all it needs of a plugin is the
 * schema of its params.
 */
export interface ParamsSchema {
  readonly schema: z.ZodType;
}
export type PluginSchemas = ReadonlyMap<string, ParamsSchema>;

export function isTemplated(v: unknown): boolean {
  return typeof v === 'string' && v.includes('{{');
}

/**
 * Validates params at load time. A value holding a template (`{{ ... }}`) is
 * only known once rendered, so what the schema says about it (or about an
 * object around it, through a refinement) waits for run time; everything
 * else (unknown keys, missing fields, literal values) is checked now.
 */
export function checkParams(
  schema: z.ZodType,
  params: Readonly<Record<string, unknown>>,
  base: readonly PathSegment[],
  issues: IssueList,
): void {
  const result = schema.safeParse(params);
  if (result.success) return;
  const templated = templatedPaths(params, []);
  const kept = result.error.issues.filter((issue) => {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (templated.some((t) => startsWith(path, t))) return false;
    if (issue.code === 'custom' && templated.some((t) => startsWith(t, path))) return false;
    return true;
  });
  if (kept.length > 0) issues.addZod(new z.ZodError(kept), params, base);
}

function templatedPaths(v: unknown, at: PathSegment[]): PathSegment[][] {
  if (isTemplated(v)) return [at];
  if (Array.isArray(v)) return v.flatMap((x, i) => templatedPaths(x, [...at, i]));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => templatedPaths(x, [...at, k]));
  return [];
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

/** "unknown probe type 'htp' (known: host, http, process)" */
export function unknownPlugin(kind: string, type: string, known: PluginSchemas): string {
  const names = [...known.keys()].sort();
  const near = names.find((n) => closeTo(n, type));
  return `unknown ${kind} '${type}'${near ? `: did you mean '${near}'?` : ''} (known: ${names.join(', ') || 'none'})`;
}

/** Edit distance ≤ 2: enough to catch a typo without suggesting nonsense. */
function closeTo(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]! <= 2;
}
