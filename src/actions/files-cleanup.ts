import { lstat, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { ActionError, errorMessage } from '../core/errors.js';
import { absolutePath } from '../core/param-schemas.js';
import { isTimeoutReason } from '../drivers/program.js';
import { compileGlob } from './glob.js';
import type { ActionPlugin } from './types.js';

/**
 * files.cleanup: delete old files under a directory (expired sessions, old
 * dumps, rotated logs), oldest first, within per-run caps.
 *
 * What it will never do, whatever the params say:
 *  - follow a symlink. Entries are lstat'ed; a symlink is skipped whole (the
 *    link stays, its target is not looked at) and a symlinked directory is
 *    not descended into. `dir` itself is resolved once (realpath): that real
 *    directory is the boundary.
 *  - delete a directory, or anything that is not a regular file.
 *  - delete outside the boundary. Just before each unlink the file's parent is
 *    resolved again and must still be exactly the directory the walk found it
 *    in (a directory swapped for a symlink since is caught), and the file must
 *    still be the same inode, still a regular file and still old enough.
 *
 * keep_newest counts among all files the glob matches, whatever their age:
 * "always leave the last 3 dumps" holds even when all of them are old.
 * The caps are applied oldest first and stop at the first file that does not
 * fit, so a run never deletes a newer file while keeping an older one.
 */

/** Paths listed in a plan or a result; the counts and totals are always complete. */
export const MAX_LISTED = 100;

const requiredDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.issues.push({ code: 'custom', message: `not a duration: ${String(v)}`, input: v });
    return z.NEVER;
  }
  return ms;
});

const globParam = z.string().transform((v, ctx) => {
  try {
    return compileGlob(v);
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: `not a usable glob: ${errorMessage(err)}`, input: v });
    return z.NEVER;
  }
});

export const filesCleanupParams = z.strictObject({
  dir: absolutePath,
  /** Relative to dir: "*.log", "sessions/**\/*". */
  glob: globParam,
  /** By mtime. */
  older_than: requiredDuration,
  keep_newest: z.number().int().min(0).default(0),
  max_files: z.number().int().min(1).optional(),
  max_bytes: z.number().int().min(1).optional(),
});
export type FilesCleanupParams = z.output<typeof filesCleanupParams>;

interface Candidate {
  /** Relative to the real dir, '/'-separated. */
  readonly rel: string;
  readonly abs: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly dev: number;
  readonly ino: number;
}

interface Selection {
  readonly root: string;
  readonly cutoffMs: number;
  readonly matched: number;
  readonly keptNewest: number;
  readonly tooRecent: number;
  readonly toDelete: readonly Candidate[];
  readonly skippedByCaps: readonly Candidate[];
  readonly symlinksSkipped: number;
  readonly unreadableDirs: readonly string[];
}

export const filesCleanupAction: ActionPlugin<FilesCleanupParams> = {
  type: 'files.cleanup',
  schema: filesCleanupParams,
  // Deleting what is old enough, again, deletes nothing more than the first run would have.
  idempotent: true,
  mutates: true,
  async plan(ctx) {
    const sel = await select(ctx.params, ctx.clock.now(), ctx.signal);
    const bytes = sumBytes(sel.toDelete);
    return {
      summary: `delete ${sel.toDelete.length} ${plural(sel.toDelete.length, 'file')} (${humanBytes(bytes)}) matching ${ctx.params.glob.pattern} under ${sel.root}${capNote(sel)}`,
      details: {
        ...counts(sel),
        totalBytes: bytes,
        files: sel.toDelete.slice(0, MAX_LISTED).map((c) => ({ path: c.rel, bytes: c.size })),
        moreFiles: Math.max(0, sel.toDelete.length - MAX_LISTED),
      },
    };
  },
  async execute(ctx) {
    const sel = await select(ctx.params, ctx.clock.now(), ctx.signal);
    const deleted: { path: string; bytes: number }[] = [];
    let bytes = 0;
    let changed = 0;
    const failures: string[] = [];
    for (const c of sel.toDelete) {
      if (ctx.signal.aborted) throw stopped(ctx.signal, `after deleting ${deleted.length} ${plural(deleted.length, 'file')} (${bytes} bytes) of ${sel.toDelete.length}`);
      try {
        const size = await deleteOne(c, sel.cutoffMs);
        if (size === null) {
          changed++;
          continue;
        }
        deleted.push({ path: c.rel, bytes: size });
        bytes += size;
      } catch (err) {
        failures.push(`${c.rel}: ${errorMessage(err)}`);
      }
    }
    const did = `deleted ${deleted.length} ${plural(deleted.length, 'file')} (${humanBytes(bytes)}) matching ${ctx.params.glob.pattern} under ${sel.root}`;
    if (failures.length > 0) {
      throw new ActionError('failed', `${did}; ${failures.length} could not be deleted: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; …' : ''}`, { retryable: false });
    }
    ctx.log.info({ dir: sel.root, deleted: deleted.length, bytes, skippedByCaps: sel.skippedByCaps.length }, 'files.cleanup done');
    return {
      summary: `${did}${capNote(sel)}`,
      data: {
        ...counts(sel),
        deleted: deleted.length,
        bytesReclaimed: bytes,
        changedSinceScan: changed,
        files: deleted.slice(0, MAX_LISTED),
        moreFiles: Math.max(0, deleted.length - MAX_LISTED),
      },
    };
  },
};

/** Walks the boundary (never through a symlink) and decides, without touching anything, what a run deletes. */
async function select(p: FilesCleanupParams, nowMs: number, signal: AbortSignal): Promise<Selection> {
  const root = await resolveRoot(p.dir);
  const glob = p.glob;
  const matched: Candidate[] = [];
  const unreadableDirs: string[] = [];
  let symlinksSkipped = 0;
  const pending: string[] = [''];
  while (pending.length > 0) {
    if (signal.aborted) throw stopped(signal, `while scanning ${root}`);
    const relDir = pending.pop()!;
    const absDir = relDir === '' ? root : join(root, relDir);
    let entries;
    try {
      entries = await readdir(absDir, { withFileTypes: true });
    } catch (err) {
      if (relDir === '') throw fileError(`cannot list ${root}`, err);
      // A directory we may not read holds nothing we could delete; say so rather than fail the rest.
      unreadableDirs.push(relDir);
      continue;
    }
    for (const e of entries) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      // Dirent types come from the directory itself (lstat semantics): a symlink is reported as one.
      if (e.isSymbolicLink()) {
        symlinksSkipped++;
      } else if (e.isDirectory()) {
        if (depth(rel) < glob.maxDepth) pending.push(rel);
      } else if (e.isFile() && glob.matches(rel)) {
        const c = await candidate(root, rel);
        if (c) matched.push(c);
      }
    }
  }
  return choose(root, matched, nowMs, p, symlinksSkipped, unreadableDirs);
}

function choose(
  root: string,
  matched: Candidate[],
  nowMs: number,
  p: FilesCleanupParams,
  symlinksSkipped: number,
  unreadableDirs: string[],
): Selection {
  const byPathThen = (a: Candidate, b: Candidate): number => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);
  const newestFirst = [...matched].sort((a, b) => b.mtimeMs - a.mtimeMs || byPathThen(a, b));
  const rest = newestFirst.slice(p.keep_newest);
  const cutoffMs = nowMs - p.older_than;
  const old = rest.filter((c) => c.mtimeMs < cutoffMs).sort((a, b) => a.mtimeMs - b.mtimeMs || byPathThen(a, b));
  let i = 0;
  let bytes = 0;
  for (; i < old.length; i++) {
    const c = old[i]!;
    if (p.max_files !== undefined && i >= p.max_files) break;
    if (p.max_bytes !== undefined && bytes + c.size > p.max_bytes) break;
    bytes += c.size;
  }
  return {
    root,
    cutoffMs,
    matched: matched.length,
    keptNewest: newestFirst.length - rest.length,
    tooRecent: rest.length - old.length,
    toDelete: old.slice(0, i),
    skippedByCaps: old.slice(i),
    symlinksSkipped,
    unreadableDirs,
  };
}

async function resolveRoot(dir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch (err) {
    throw fileError(`cannot resolve dir ${dir}`, err);
  }
  const st = await stat(root).catch((err: unknown) => {
    throw fileError(`cannot look at dir ${dir}`, err);
  });
  if (!st.isDirectory()) throw new ActionError('invalid_params', `dir ${dir} is not a directory`, { retryable: false });
  if (root === sep) throw new ActionError('unsafe', `dir ${dir} is the root directory: refusing to clean the whole filesystem`, { retryable: false });
  return root;
}

async function candidate(root: string, rel: string): Promise<Candidate | null> {
  const abs = join(root, rel);
  const st = await lstat(abs).catch(() => null);
  // Gone since the listing, or replaced by something other than a regular file: not ours to delete.
  if (!st?.isFile()) return null;
  return { rel, abs, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino };
}

/**
 * Unlinks one file if it is still what the scan found; returns its size, or
 * null when it changed since (then it is left alone). The checks narrow the
 * window between scan and unlink; they are what a path-based API allows.
 */
async function deleteOne(c: Candidate, cutoffMs: number): Promise<number | null> {
  const parent = dirname(c.abs);
  const realParent = await realpath(parent).catch(() => null);
  if (realParent !== parent) return null;
  const st = await lstat(c.abs).catch(() => null);
  if (!st?.isFile() || st.dev !== c.dev || st.ino !== c.ino || st.mtimeMs >= cutoffMs) return null;
  try {
    await unlink(c.abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return st.size;
}

function counts(sel: Selection): Record<string, unknown> {
  return {
    dir: sel.root,
    matched: sel.matched,
    keptNewest: sel.keptNewest,
    tooRecent: sel.tooRecent,
    skippedByCaps: sel.skippedByCaps.length,
    skippedByCapsBytes: sumBytes(sel.skippedByCaps),
    symlinksSkipped: sel.symlinksSkipped,
    unreadableDirs: sel.unreadableDirs.slice(0, MAX_LISTED),
  };
}

function capNote(sel: Selection): string {
  const n = sel.skippedByCaps.length;
  return n === 0 ? '' : `; ${n} more old ${plural(n, 'file')} (${humanBytes(sumBytes(sel.skippedByCaps))}) left for a later run by the caps`;
}

function depth(rel: string): number {
  let n = 1;
  for (const ch of rel) if (ch === '/') n++;
  return n;
}

function sumBytes(cs: readonly Candidate[]): number {
  return cs.reduce((s, c) => s + c.size, 0);
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** For summaries a person reads; results carry exact byte counts. */
export function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? `${v} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]!}`;
  return n < 0 ? `-${text}` : text;
}

/** The step's signal fired: say whether that was its timeout, and how far it got. */
export function stopped(signal: AbortSignal, how: string): ActionError {
  const timeout = isTimeoutReason(signal.reason);
  return new ActionError(timeout ? 'timeout' : 'aborted', `${timeout ? 'timed out' : 'aborted'} ${how}`, { retryable: timeout });
}

export function fileError(what: string, err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new ActionError(code === 'ENOENT' ? 'not_found' : 'failed', `${what}: ${errorMessage(err)}`, { retryable: false, cause: err });
}
