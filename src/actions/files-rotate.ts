import { randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { lstat, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { z } from 'zod';
import { ActionError, errorMessage } from '../core/errors.js';
import { absolutePath } from '../core/param-schemas.js';
import { fileError, humanBytes, stopped } from './files-cleanup.js';
import type { ActionPlugin } from './types.js';

/**
 * files.rotate: copytruncate rotation of one log file, for programs that keep
 * their log open and cannot be told to reopen it.
 *
 * Order matters, so that a failure or a crash never loses what was logged:
 *  1. the live file is copied (gzipped) to a temp file next to it, fsynced;
 *     a failure or an abort here removes the temp file and changes nothing;
 *  2. rotations at or beyond `keep` are dropped, the rest shift up by one
 *     (x.log.1.gz → x.log.2.gz …);
 *  3. the temp file becomes x.log.1.gz;
 *  4. the live file is truncated in place, through the descriptor the copy
 *     read from, so the writers' descriptors stay valid (they should write
 *     with O_APPEND, or the file grows a hole up to their offset).
 * A crash between 3 and 4 leaves the lines both in x.log.1.gz and in the live
 * file: duplicated, never lost. What a writer appends between the end of the
 * copy and the truncate is lost: that is copytruncate's known window.
 *
 * The live file is opened with O_NOFOLLOW: a symlink is refused, never
 * followed. There is no rollback: a truncated log cannot be put back.
 */

export const filesRotateParams = z.strictObject({
  path: absolutePath,
  /** Rotated files kept, the new one included. */
  keep: z.number().int().min(1).max(1000).default(5),
  compress: z.boolean().default(true),
  /** Below this many bytes nothing happens. */
  min_size: z.number().int().min(0).optional(),
});
export type FilesRotateParams = z.output<typeof filesRotateParams>;

const COPY_CHUNK = 256 * 1024;

interface Rotated {
  readonly n: number;
  readonly name: string;
  readonly size: number;
}

export const filesRotateAction: ActionPlugin<FilesRotateParams> = {
  type: 'files.rotate',
  schema: filesRotateParams,
  // Each run rotates again: running it twice shifts twice.
  idempotent: false,
  mutates: true,
  async plan(ctx) {
    const p = ctx.params;
    const size = await liveSize(p.path);
    const skip = skipReason(p, size);
    if (skip) return { summary: skip, details: { path: p.path, bytes: size, rotate: false } };
    const existing = await rotatedFiles(p.path, suffix(p));
    const dropped = existing.filter((r) => r.n >= p.keep);
    const first = `${basename(p.path)}.1${suffix(p)}`;
    return {
      summary: `rotate ${p.path} (${humanBytes(size)}) to ${first}${p.compress ? ' (gzip)' : ''}, then truncate it; keep ${p.keep}${dropped.length ? `, drop ${dropped.map((r) => r.name).join(', ')}` : ''}`,
      details: { path: p.path, bytes: size, rotate: true, to: first, keep: p.keep, compress: p.compress, drop: dropped.map((r) => r.name) },
    };
  },
  async execute(ctx) {
    const p = ctx.params;
    const ext = suffix(p);
    await liveSize(p.path);
    // O_NOFOLLOW: refused if the path became a symlink since the check above.
    let fh: FileHandle;
    try {
      fh = await open(p.path, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw notFollowed(p.path);
      throw fileError(`cannot open ${p.path}`, err);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new ActionError('unsafe', `${p.path} is not a regular file: not rotated`, { retryable: false });
      const skip = skipReason(p, st.size);
      if (skip) return { summary: skip, data: { path: p.path, rotated: false, bytes: st.size, bytesReclaimed: 0 } };

      const tmp = join(dirname(p.path), `.${basename(p.path)}.medic-rotate-${randomBytes(6).toString('hex')}.tmp`);
      let copied: number;
      try {
        copied = await copyTo(fh, tmp, p.compress, st, ctx.signal);
      } catch (err) {
        await rm(tmp, { force: true });
        if (ctx.signal.aborted) throw stopped(ctx.signal, `while copying ${p.path}: nothing was rotated`);
        throw fileError(`cannot copy ${p.path}`, err);
      }
      const rotatedSize = (await stat(tmp)).size;

      // From here on the steps are short and are not interrupted: a half-shifted set is worse than a late finish.
      let dropped: readonly Rotated[];
      try {
        dropped = await shift(p.path, ext, p.keep);
        await rename(tmp, `${p.path}.1${ext}`);
      } catch (err) {
        await rm(tmp, { force: true });
        throw fileError(`cannot shift the rotations of ${p.path}`, err);
      }
      const sizeAtTruncate = (await fh.stat()).size;
      await fh.truncate(0);
      const lost = sizeAtTruncate - copied;
      const bytesReclaimed = sizeAtTruncate - rotatedSize;
      if (lost > 0) ctx.log.warn({ path: p.path, bytes: lost }, 'lines written during the copy were truncated with the file (copytruncate window)');
      return {
        summary: `rotated ${p.path} (${humanBytes(copied)}) to ${basename(p.path)}.1${ext} (${humanBytes(rotatedSize)}) and truncated it${dropped.length ? `; dropped ${dropped.map((r) => r.name).join(', ')}` : ''}`,
        data: {
          path: p.path,
          rotated: true,
          to: `${p.path}.1${ext}`,
          bytesCopied: copied,
          rotatedBytes: rotatedSize,
          bytesReclaimed,
          lostInWindow: Math.max(0, lost),
          dropped: dropped.map((r) => r.name),
          droppedBytes: dropped.reduce((s, r) => s + r.size, 0),
        },
      };
    } finally {
      await fh.close();
    }
  },
};

/** The live file's size; refuses a symlink, a missing file and anything that is not a regular file. */
async function liveSize(path: string): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    throw fileError(`cannot look at ${path}`, err);
  }
  if (st.isSymbolicLink()) throw notFollowed(path);
  if (!st.isFile()) throw new ActionError('unsafe', `${path} is not a regular file: not rotated`, { retryable: false });
  return st.size;
}

function skipReason(p: FilesRotateParams, size: number): string | null {
  if (p.min_size !== undefined && size < p.min_size) return `${p.path} is ${humanBytes(size)}, under min_size ${humanBytes(p.min_size)}: not rotated`;
  // An empty log has nothing to reclaim; rotating it would only push a real rotation out.
  if (size === 0) return `${p.path} is empty: not rotated`;
  return null;
}

function notFollowed(path: string): ActionError {
  return new ActionError('unsafe', `${path} is a symlink: not followed, not rotated (give the real path)`, { retryable: false });
}

function suffix(p: FilesRotateParams): string {
  return p.compress ? '.gz' : '';
}

/** Copies the live file from offset 0 to its end (as it is while read) into tmp; returns the bytes read. */
async function copyTo(src: FileHandle, tmp: string, compress: boolean, st: { mode: number; uid: number; gid: number }, signal: AbortSignal): Promise<number> {
  signal.throwIfAborted();
  let read = 0;
  // Read through our descriptor by position: the one the truncate goes through afterwards, left open.
  async function* chunks(): AsyncGenerator<Buffer> {
    const buf = Buffer.alloc(COPY_CHUNK);
    for (;;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, read);
      if (bytesRead === 0) return;
      read += bytesRead;
      yield Buffer.from(buf.subarray(0, bytesRead));
    }
  }
  // 0600 until complete; then the live file's mode, since a log may be readable only by its owner.
  const output = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
  if (compress) await pipeline(chunks, createGzip(), output, { signal });
  else await pipeline(chunks, output, { signal });
  const out = await open(tmp, 'r+');
  try {
    if (st.uid !== process.getuid?.() || st.gid !== process.getgid?.()) await out.chown(st.uid, st.gid).catch(() => {});
    await out.chmod(st.mode & 0o777);
    await out.sync();
  } finally {
    await out.close();
  }
  return read;
}

/** Existing rotations `<name>.<n><ext>` (regular files or symlinks, which rename and unlink never follow). */
async function rotatedFiles(path: string, ext: string): Promise<Rotated[]> {
  const name = basename(path);
  const re = new RegExp(`^${escapeRegex(name)}\\.([1-9][0-9]{0,5})${escapeRegex(ext)}$`);
  const out: Rotated[] = [];
  for (const entry of await readdir(dirname(path))) {
    const m = re.exec(entry);
    if (!m) continue;
    const st = await lstat(join(dirname(path), entry)).catch(() => null);
    if (!st || st.isDirectory()) continue;
    out.push({ n: Number(m[1]), name: entry, size: st.isFile() ? st.size : 0 });
  }
  return out.sort((a, b) => b.n - a.n);
}

/** Drops rotations numbered keep and above, then moves n to n + 1, highest first so none is overwritten. */
async function shift(path: string, ext: string, keep: number): Promise<Rotated[]> {
  const existing = await rotatedFiles(path, ext);
  const dropped: Rotated[] = [];
  for (const r of existing) {
    if (r.n < keep) continue;
    try {
      await unlink(join(dirname(path), r.name));
      dropped.push(r);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ActionError('failed', `cannot drop ${r.name}: ${errorMessage(err)}`, { retryable: false, cause: err });
    }
  }
  for (const r of existing) {
    if (r.n >= keep) continue;
    await rename(join(dirname(path), r.name), `${path}.${r.n + 1}${ext}`);
  }
  return dropped;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
