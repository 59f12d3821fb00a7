import { createHash } from 'node:crypto';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { absolutePath } from '../core/param-schemas.js';
import type { Sample } from '../core/signal.js';
import { MAX_COMPARE_BYTES, readFileCapped } from '../drivers/files.js';
import type { ProbePlugin } from './types.js';

/**
 * drift probe: does a file (or a directory's set of files) still hold what it
 * should?
 *
 * Two forms: `path` against `desired_path` or `desired_sha256`, and `dir`
 * against `desired_dir`. Emits `drift` (1 drifted, 0 same) and `drift_files`
 * (how many files differ: missing, extra or changed).
 *
 * Bounded: a file is read only when its size equals its counterpart's (a
 * different size already says "changed"), and never past MAX_COMPARE_BYTES;
 * a directory walk stops at MAX_TREE_ENTRIES entries and MAX_TREE_DEPTH
 * levels. Anything past a bound fails the check (probe_error) rather than
 * report a guess.
 *
 * Inside a directory, symlinks are compared as links (their target text) and
 * never followed, so a link pointing out of the tree can neither be read nor
 * make the walk escape. A named `path` is read as the program that uses it
 * would read it, through a link if it is one.
 */

export const MAX_TREE_ENTRIES = 10_000;
export const MAX_TREE_DEPTH = 32;

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest: 64 hex digits')
  .transform((s) => s.toLowerCase());

export const driftProbeParams = z
  .strictObject({
    path: absolutePath.optional(),
    desired_path: absolutePath.optional(),
    desired_sha256: sha256Hex.optional(),
    dir: absolutePath.optional(),
    desired_dir: absolutePath.optional(),
  })
  .superRefine((p, ctx) => {
    const issue = (message: string, path: string[] = []): void => {
      ctx.addIssue({ code: 'custom', message, path });
    };
    if ((p.path === undefined) === (p.dir === undefined)) {
      issue('give either path (with desired_path or desired_sha256) or dir (with desired_dir)');
      return;
    }
    if (p.path !== undefined) {
      if ((p.desired_path === undefined) === (p.desired_sha256 === undefined)) issue('give exactly one of desired_path or desired_sha256');
      if (p.desired_dir !== undefined) issue('desired_dir goes with dir, not with path', ['desired_dir']);
    } else {
      if (p.desired_dir === undefined) issue('dir needs desired_dir', ['desired_dir']);
      if (p.desired_path !== undefined) issue('desired_path goes with path, not with dir', ['desired_path']);
      if (p.desired_sha256 !== undefined) issue('desired_sha256 goes with path, not with dir', ['desired_sha256']);
    }
  });
export type DriftProbeParams = z.output<typeof driftProbeParams>;

export interface DriftReport {
  /** Relative to the directory (or the path itself for a single file), sorted. */
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly changed: readonly string[];
}

export const driftProbe: ProbePlugin<DriftProbeParams> = {
  type: 'drift',
  schema: driftProbeParams,
  produces: ['drift', 'drift_files'],
  async check(ctx) {
    const p = ctx.params;
    const report = p.dir !== undefined
      ? await treeDrift(p.dir, p.desired_dir!, ctx.signal)
      : await fileDrift(p.path!, p.desired_path !== undefined ? { path: p.desired_path } : { sha256: p.desired_sha256! }, ctx.signal);
    const count = report.missing.length + report.extra.length + report.changed.length;
    if (count > 0) {
      ctx.log.debug({ probe: ctx.probe.name, missing: report.missing.slice(0, 20), extra: report.extra.slice(0, 20), changed: report.changed.slice(0, 20) }, 'drift found');
    }
    return driftSamples(count);
  },
};

export function driftSamples(count: number): Sample[] {
  return [
    { name: 'drift', value: count > 0 ? 1 : 0 },
    { name: 'drift_files', value: count },
  ];
}

/** One file against a desired copy or digest. A missing file has drifted; a missing desired copy is a config error. */
export async function fileDrift(path: string, desired: { path: string } | { sha256: string }, signal?: AbortSignal): Promise<DriftReport> {
  const actual = await statOrNull(path);
  if (actual === null) return { missing: [path], extra: [], changed: [] };
  if ('sha256' in desired) {
    const { data } = await readFileCapped(path, MAX_COMPARE_BYTES, { signal });
    const same = createHash('sha256').update(data).digest('hex') === desired.sha256;
    return { missing: [], extra: [], changed: same ? [] : [path] };
  }
  const same = await sameContent(path, desired.path, { followLinks: true, signal });
  return { missing: [], extra: [], changed: same ? [] : [path] };
}

/** A directory's files against a desired directory's. An absent `dir` has every desired file missing. */
export async function treeDrift(dir: string, desiredDir: string, signal?: AbortSignal): Promise<DriftReport> {
  const desired = await walkTree(desiredDir, signal);
  if (desired === null) throw new Error(`desired_dir ${desiredDir} does not exist or is not a directory`);
  const actual = (await walkTree(dir, signal)) ?? new Map<string, TreeEntry>();
  const missing: string[] = [];
  const changed: string[] = [];
  for (const [rel, want] of desired) {
    signal?.throwIfAborted();
    const have = actual.get(rel);
    if (!have) missing.push(rel);
    else if (!(await sameEntry(have, want, join(dir, rel), join(desiredDir, rel), signal))) changed.push(rel);
  }
  const extra = [...actual.keys()].filter((rel) => !desired.has(rel));
  return { missing: missing.sort(), extra: extra.sort(), changed: changed.sort() };
}

type TreeEntry =
  | { readonly kind: 'file'; readonly size: number }
  | { readonly kind: 'link'; readonly target: string }
  /** Sockets, FIFOs, devices: compared by kind only, never opened. */
  | { readonly kind: 'other' };

/**
 * Every non-directory entry under root, by relative path. Empty directories
 * are not entries. Null when root is not a directory.
 */
async function walkTree(root: string, signal?: AbortSignal): Promise<Map<string, TreeEntry> | null> {
  const top = await stat(root).catch(() => null);
  if (!top?.isDirectory()) return null;
  const out = new Map<string, TreeEntry>();
  let seen = 0;
  const visit = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_TREE_DEPTH) throw new Error(`${join(root, rel)}: deeper than ${MAX_TREE_DEPTH} levels`);
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const e of entries) {
      signal?.throwIfAborted();
      if (++seen > MAX_TREE_ENTRIES) throw new Error(`${root}: more than ${MAX_TREE_ENTRIES} entries, not compared`);
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      const full = join(root, child);
      // lstat, not the dirent alone: some filesystems report no type, and a link must never count as what it points to.
      const st = await lstat(full);
      if (st.isDirectory()) await visit(child, depth + 1);
      else if (st.isSymbolicLink()) out.set(child, { kind: 'link', target: await readlink(full) });
      else if (st.isFile()) out.set(child, { kind: 'file', size: st.size });
      else out.set(child, { kind: 'other' });
    }
  };
  await visit('', 0);
  return out;
}

async function sameEntry(have: TreeEntry, want: TreeEntry, havePath: string, wantPath: string, signal?: AbortSignal): Promise<boolean> {
  if (have.kind !== want.kind) return false;
  if (have.kind === 'link') return have.target === (want as { target: string }).target;
  if (have.kind === 'other') return true;
  if (have.size !== (want as { size: number }).size) return false;
  return sameContent(havePath, wantPath, { followLinks: false, signal });
}

/** Equal bytes? Different sizes answer without reading; equal sizes over the cap fail rather than guess. */
export async function sameContent(a: string, b: string, opts: { followLinks: boolean; signal?: AbortSignal | undefined }): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const read = { noFollow: !opts.followLinks, signal: opts.signal };
  const [da, db] = await Promise.all([readFileCapped(a, MAX_COMPARE_BYTES, read), readFileCapped(b, MAX_COMPARE_BYTES, read)]);
  return da.data.equals(db.data);
}

async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
