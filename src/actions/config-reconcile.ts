import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ActionError, errorMessage, toActionError } from '../core/errors.js';
import { absolutePath, FileTooLargeError, formatBytes, MAX_COMPARE_BYTES, readFileCapped } from '../probes/drift.js';
import { inheritedEnv } from '../drivers/env.js';
import { displayArgv, lastLines, runProgram, type ExecActionOptions } from './exec.js';
import { durationParam as duration } from './params.js';
import type { ActionContext, ActionPlugin } from './types.js';

/**
 * config.reconcile: put a file back to its desired content, keeping what was
 * there for rollback, then optionally reload the program that reads it.
 *
 * The write is atomic (a temp file in the same directory, fsync, rename,
 * fsync of the directory): a reader sees the old file or the new one, never
 * half of either, and a crash leaves one of the two. A path that is a
 * symlink is written through (its target is replaced), so the link stays.
 *
 * The previous content goes into the step's rollbackState (base64, up to
 * MAX_INLINE_BYTES) or, with backup_dir, into a backup file. A previous file
 * too big to keep inline and no backup_dir: the step refuses to write, since
 * it could not be undone.
 *
 * A failed reload fails the step, and the step puts the previous content
 * back (and reloads again) before it reports: the executor only rolls back
 * steps that succeeded, and a half-applied config must not be left behind.
 *
 * The reload runs whenever reload_argv is given, even when the file was
 * already as desired: a step run again after a crash between the write and
 * the reload must still reload.
 */

/** The previous content kept in the step record (which lives in the store): 1 MiB. */
export const MAX_INLINE_BYTES = 1024 * 1024;
const DEFAULT_NEW_MODE = 0o644;
const MAX_PREVIEW_LINES = 40;
/** Line-diff table size past which the diff is reported as "the middle was replaced". */
const MAX_DIFF_CELLS = 4_000_000;

const mode = z
  .string()
  .regex(/^(0o?)?[0-7]{3,4}$/, 'must be an octal mode as a string, e.g. "0644" (YAML reads an unquoted 0644 as the decimal 644)')
  .transform((s) => parseInt(s.replace(/^0o/, ''), 8));

export const configReconcileParams = z
  .strictObject({
    path: absolutePath,
    desired_path: absolutePath.optional(),
    desired_content: z.string().optional(),
    /** Default: the current file's mode, or 0644 for a new file. */
    mode: mode.optional(),
    reload_argv: z.array(z.string().regex(/^[^\0]*$/, 'must not contain NUL bytes')).min(1).refine((a) => a[0] !== '', 'the program must not be empty').optional(),
    reload_timeout: duration('30s'),
    /** Keep the previous content here (one file per execution) instead of in the step record. */
    backup_dir: absolutePath.optional(),
    /** The file holds secrets: plans and results show counts, never lines. */
    sensitive: z.boolean().default(false),
  })
  .refine((p) => (p.desired_path === undefined) !== (p.desired_content === undefined), 'give exactly one of desired_path or desired_content');
export type ConfigReconcileParams = z.output<typeof configReconcileParams>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const previousSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('unchanged') }),
  z.object({ kind: z.literal('absent') }),
  z.object({ kind: z.literal('inline'), content_b64: z.string(), mode: z.number().int(), sha256 }),
  z.object({ kind: z.literal('backup'), file: z.string(), mode: z.number().int(), sha256 }),
]);
type Previous = z.output<typeof previousSchema>;
const rollbackStateSchema = z.object({ path: z.string(), previous: previousSchema });
export type ConfigRollbackState = z.output<typeof rollbackStateSchema>;

interface Current {
  readonly data: Buffer;
  readonly mode: number;
}

export function createConfigReconcileAction(opts: ExecActionOptions = {}): ActionPlugin<ConfigReconcileParams> {
  const baseEnv = opts.baseEnv ?? inheritedEnv;

  const reload = async (ctx: ActionContext<ConfigReconcileParams>): Promise<string> => {
    const argv = ctx.params.reload_argv!;
    const run = await runProgram(argv, { env: baseEnv(), timeout: ctx.params.reload_timeout, kill_grace: 2_000, max_output_bytes: 16 * 1024 }, ctx);
    if (run.exitCode !== 0) {
      const how = run.exitCode === null ? `killed by ${run.signal ?? 'a signal'}` : `exit code ${run.exitCode}`;
      throw new ActionError('failed', `${displayArgv(argv)}: ${how}${lastLines(run.output)}`, { retryable: false });
    }
    return run.output;
  };

  return {
    type: 'config.reconcile',
    schema: configReconcileParams,
    // Writing the same desired content twice leaves the same file.
    idempotent: true,
    mutates: true,
    async plan(ctx) {
      const p = ctx.params;
      const desired = await readDesired(p, ctx.signal);
      const target = await resolveTarget(p.path);
      const current = await readCurrent(target, ctx.signal);
      const newMode = p.mode ?? current?.mode ?? DEFAULT_NEW_MODE;
      const diff = current ? diffLines(current.data, desired) : diffLines(Buffer.alloc(0), desired);
      const contentChanged = !current || !current.data.equals(desired);
      const modeChanged = current !== null && current.mode !== newMode;
      const reload = p.reload_argv ? `, then run ${displayArgv(p.reload_argv)}` : '';
      const what = !current
        ? `create ${target} (${diff.added} lines, mode ${octal(newMode)})`
        : contentChanged || modeChanged
          ? `rewrite ${target}: ${describeChange(diff, current.mode, newMode)}`
          : `${target} is already as desired: nothing to write`;
      return {
        summary: `${what}${reload}`,
        details: {
          path: target,
          exists: current !== null,
          changed: contentChanged || modeChanged,
          added: diff.added,
          removed: diff.removed,
          diff: p.sensitive ? null : diff.preview,
          modeBefore: current ? octal(current.mode) : null,
          modeAfter: octal(newMode),
          reload: p.reload_argv ?? null,
          keptFor: p.backup_dir ?? 'rollbackState',
        },
      };
    },

    async execute(ctx) {
      const p = ctx.params;
      const desired = await readDesired(p, ctx.signal);
      const target = await resolveTarget(p.path);
      const current = await readCurrent(target, ctx.signal);
      const newMode = p.mode ?? current?.mode ?? DEFAULT_NEW_MODE;
      const unchanged = current !== null && current.data.equals(desired) && current.mode === newMode;

      // Already as desired, but this execution kept a backup earlier: a re-run after a crash, whose undo is that backup.
      let previous: Previous = (unchanged && p.backup_dir !== undefined && (await earlierBackup(target, p.backup_dir, ctx.executionId))) || { kind: 'unchanged' };
      if (!unchanged) {
        ctx.signal.throwIfAborted();
        previous = await keepPrevious(target, current, p.backup_dir, ctx.executionId);
        await writeAtomic(target, desired, newMode);
      }
      const diff = current ? diffLines(current.data, desired) : diffLines(Buffer.alloc(0), desired);
      const state: ConfigRollbackState = { path: target, previous };
      const wrote = unchanged ? `${target} was already as desired` : `wrote ${target} (${describeChange(diff, current?.mode ?? null, newMode)})`;

      let output: string | undefined;
      if (p.reload_argv) {
        try {
          output = await reload(ctx);
        } catch (err) {
          throw await undoAfterFailedReload(ctx, state, err, reload);
        }
      }
      return {
        summary: `${wrote}${p.reload_argv ? `, reloaded with ${displayArgv(p.reload_argv)}` : ''}`,
        ...(output ? { output } : {}),
        data: {
          path: target,
          changed: !unchanged,
          added: diff.added,
          removed: diff.removed,
          ...(p.sensitive ? {} : { diff: diff.preview }),
          mode: octal(newMode),
          backup: previous.kind === 'backup' ? previous.file : null,
        },
        rollbackState: state,
      };
    },

    async rollback(ctx, raw) {
      const parsed = rollbackStateSchema.safeParse(raw);
      if (!parsed.success) throw new ActionError('failed', 'no usable rollback state was recorded for this step: nothing can be restored', { retryable: false });
      const state = parsed.data;
      if (state.previous.kind === 'unchanged') return { summary: `${state.path} was already as desired when the step ran: nothing to undo` };
      const did = await restore(state, ctx.signal);
      let output: string | undefined;
      if (ctx.params.reload_argv) output = await reload(ctx);
      return {
        summary: `${did}${ctx.params.reload_argv ? `, reloaded with ${displayArgv(ctx.params.reload_argv)}` : ''}`,
        ...(output ? { output } : {}),
        data: { path: state.path, restored: state.previous.kind },
      };
    },
  };
}

export const configReconcileAction = createConfigReconcileAction();

/** The failed reload's error, after the previous content is back (and reloaded, when time allows). */
async function undoAfterFailedReload(
  ctx: ActionContext<ConfigReconcileParams>,
  state: ConfigRollbackState,
  err: unknown,
  reload: (ctx: ActionContext<ConfigReconcileParams>) => Promise<string>,
): Promise<ActionError> {
  const e = toActionError(err);
  const reloadArgv = displayArgv(ctx.params.reload_argv!);
  if (state.previous.kind === 'unchanged') {
    return new ActionError(e.code, `reload failed: ${e.message} (the file was already as desired; nothing to put back)`, { retryable: e.retryable, cause: err });
  }
  let undone: string;
  try {
    undone = await restore(state, undefined);
  } catch (restoreErr) {
    return new ActionError('failed', `reload failed: ${e.message}; putting the previous content back failed too: ${errorMessage(restoreErr)}`, { retryable: false, cause: err });
  }
  let again: string;
  if (ctx.signal.aborted) again = 'not reloaded again (the step was stopped)';
  else {
    try {
      await reload(ctx);
      again = `reloaded again with ${reloadArgv}`;
    } catch (againErr) {
      again = `reloading it failed too: ${errorMessage(againErr)}`;
    }
  }
  return new ActionError(e.code, `reload failed: ${e.message}\nput back: ${undone}; ${again}`, { retryable: e.retryable, cause: err });
}

async function readDesired(p: ConfigReconcileParams, signal: AbortSignal): Promise<Buffer> {
  if (p.desired_content !== undefined) {
    const data = Buffer.from(p.desired_content, 'utf8');
    if (data.length > MAX_COMPARE_BYTES) throw new ActionError('invalid_params', `desired_content is larger than ${formatBytes(MAX_COMPARE_BYTES)}`);
    return data;
  }
  try {
    return (await readFileCapped(p.desired_path!, MAX_COMPARE_BYTES, { signal })).data;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ActionError('not_found', `desired_path ${p.desired_path} does not exist`, { retryable: false });
    throw fileError('cannot read desired_path', err);
  }
}

/** The file to write: the path, or through a symlink its target, so the link survives the rename. */
async function resolveTarget(path: string): Promise<string> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw fileError(`cannot look at ${path}`, err);
  });
  let target = path;
  if (st?.isSymbolicLink()) {
    target = await realpath(path).catch((err: unknown) => {
      throw new ActionError('unsafe', `${path} is a symlink that leads nowhere (${errorMessage(err)}): not written`, { retryable: false });
    });
    const real = await stat(target);
    if (!real.isFile()) throw new ActionError('unsafe', `${path} links to ${target}, which is not a regular file: not written`, { retryable: false });
  } else if (st && !st.isFile()) {
    throw new ActionError('unsafe', `${path} is not a regular file: not written`, { retryable: false });
  }
  const parent = await stat(dirname(target)).catch(() => null);
  if (!parent?.isDirectory()) throw new ActionError('not_found', `directory ${dirname(target)} does not exist`, { retryable: false });
  return target;
}

async function readCurrent(target: string, signal: AbortSignal): Promise<Current | null> {
  try {
    const { data, mode } = await readFileCapped(target, MAX_COMPARE_BYTES, { signal });
    return { data, mode };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof FileTooLargeError) {
      throw new ActionError('unsafe', `${target} is larger than ${formatBytes(MAX_COMPARE_BYTES)}: not reconciled`, { retryable: false });
    }
    throw fileError(`cannot read ${target}`, err);
  }
}

/**
 * Keeps the content about to be replaced. With backup_dir, a backup already
 * made by this execution (the step run again after a crash, or retried) is
 * the one that holds the original, so it is reused, never overwritten.
 */
async function keepPrevious(target: string, current: Current | null, backupDir: string | undefined, executionId: string): Promise<Previous> {
  if (current === null) return { kind: 'absent' };
  if (backupDir === undefined) {
    if (current.data.length > MAX_INLINE_BYTES) {
      throw new ActionError('unsafe', `${target} is ${current.data.length} bytes, over the ${formatBytes(MAX_INLINE_BYTES)} kept for rollback in the step record: set backup_dir`, { retryable: false });
    }
    return { kind: 'inline', content_b64: current.data.toString('base64'), mode: current.mode, sha256: digest(current.data) };
  }
  const earlier = await earlierBackup(target, backupDir, executionId);
  if (earlier) return earlier;
  await mkdir(backupDir, { recursive: true, mode: 0o700 });
  // The mode goes into the name: the backup itself stays 0600, it may hold secrets.
  const file = join(backupDir, `${backupStem(target, executionId)}${current.mode.toString(8)}.bak`);
  await writeAtomic(file, current.data, 0o600);
  return { kind: 'backup', file, mode: current.mode, sha256: digest(current.data) };
}

/** `<name>.<hash of the full path>.<execution>.m<mode>.bak`: one per file and execution, never two files' mixed up. */
function backupStem(target: string, executionId: string): string {
  return `${basename(target)}.${digest(Buffer.from(target)).slice(0, 8)}.${executionId.replace(/[^A-Za-z0-9_-]/g, '_')}.m`;
}

async function earlierBackup(target: string, backupDir: string, executionId: string): Promise<Previous | null> {
  const stem = backupStem(target, executionId);
  const names = await readdir(backupDir).catch(() => [] as string[]);
  const name = names.find((f) => f.startsWith(stem) && /^[0-7]{1,4}\.bak$/.test(f.slice(stem.length)));
  if (name === undefined) return null;
  const file = join(backupDir, name);
  const { data } = await readFileCapped(file, MAX_COMPARE_BYTES);
  return { kind: 'backup', file, mode: parseInt(name.slice(stem.length, -'.bak'.length), 8), sha256: digest(data) };
}

/** Puts the recorded previous state back; returns what was done, for a person. */
async function restore(state: ConfigRollbackState, signal: AbortSignal | undefined): Promise<string> {
  const prev = state.previous;
  switch (prev.kind) {
    case 'unchanged':
      return `${state.path} was not changed`;
    case 'absent':
      await rm(state.path, { force: true });
      await syncDir(dirname(state.path));
      return `removed ${state.path} (it did not exist before)`;
    case 'inline':
    case 'backup': {
      const data = prev.kind === 'inline' ? Buffer.from(prev.content_b64, 'base64') : (await readFileCapped(prev.file, MAX_COMPARE_BYTES, { signal })).data;
      // A damaged record or a backup edited since must not be written over a live config.
      if (digest(data) !== prev.sha256) throw new ActionError('unsafe', `the kept copy of ${state.path} does not match its recorded SHA-256: not restored`, { retryable: false });
      await writeAtomic(state.path, data, prev.mode);
      return `restored the previous content of ${state.path} (${data.length} bytes, mode ${octal(prev.mode)})`;
    }
  }
}

/**
 * temp file in the same directory (same filesystem, so rename is atomic),
 * created 0600 so that nobody reads it before its final mode is set, fsync,
 * rename, fsync of the directory so the rename itself survives a crash.
 * The owner of the file being replaced is kept where this process may.
 */
export async function writeAtomic(path: string, data: Buffer, fileMode: number): Promise<void> {
  const dir = dirname(path);
  const old = await stat(path).catch(() => null);
  const tmp = join(dir, `.${basename(path)}.medic-${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(data);
      if (old && (old.uid !== process.getuid?.() || old.gid !== process.getgid?.())) {
        // Only root may give a file away; anyone else writes it as their own and the mode decides who reads it.
        await fh.chown(old.uid, old.gid).catch(() => {});
      }
      await fh.chmod(fileMode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fileError(`cannot write ${path}`, err);
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Not every platform lets a directory be opened and synced; the rename has happened either way.
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close();
}

export interface LineDiff {
  readonly added: number;
  readonly removed: number;
  /** A unified-diff-like hunk of the changed region, capped at MAX_PREVIEW_LINES. */
  readonly preview: string;
}

/**
 * Lines added and removed, and a preview. Common leading and trailing lines
 * are cut first; the middle gets an exact LCS diff when small enough, else
 * counts as replaced whole (never fewer changes than there are).
 */
export function diffLines(before: Buffer, after: Buffer): LineDiff {
  if (before.includes(0) || after.includes(0)) {
    return { added: 0, removed: 0, preview: before.equals(after) ? '' : `binary content differs (${before.length} → ${after.length} bytes)` };
  }
  const a = splitLines(before.toString('utf8'));
  const b = splitLines(after.toString('utf8'));
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  if (am.length === 0 && bm.length === 0) {
    return { added: 0, removed: 0, preview: before.equals(after) ? '' : 'no line changed (line endings or the final newline differ)' };
  }
  const ops = am.length * bm.length <= MAX_DIFF_CELLS ? lcsOps(am, bm) : [...am.map((l) => `-${l}`), ...bm.map((l) => `+${l}`)];
  const added = ops.filter((o) => o.startsWith('+')).length;
  const removed = ops.filter((o) => o.startsWith('-')).length;
  const header = `@@ -${pre + 1},${am.length} +${pre + 1},${bm.length} @@`;
  const shown = ops.slice(0, MAX_PREVIEW_LINES);
  const more = ops.length > shown.length ? [`… ${ops.length - shown.length} more lines`] : [];
  return { added, removed, preview: [header, ...shown, ...more].join('\n') };
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Longest common subsequence, as diff lines (" ", "-", "+"). min(n, m) ≤ 2000 here, so Uint16 holds every length. */
function lcsOps(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const t = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = a[i] === b[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(` ${a[i]!}`);
      i++;
      j++;
    } else if (i < n && (j === m || t[(i + 1) * w + j]! >= t[i * w + j + 1]!)) {
      out.push(`-${a[i]!}`);
      i++;
    } else {
      out.push(`+${b[j]!}`);
      j++;
    }
  }
  return out;
}

function describeChange(diff: LineDiff, modeBefore: number | null, modeAfter: number): string {
  const lines = `+${diff.added} −${diff.removed} lines`;
  return modeBefore !== null && modeBefore !== modeAfter ? `${lines}, mode ${octal(modeBefore)} → ${octal(modeAfter)}` : lines;
}

function octal(m: number): string {
  return `0${m.toString(8).padStart(3, '0')}`;
}

function digest(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function fileError(what: string, err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  return new ActionError(code === 'ENOENT' ? 'not_found' : 'failed', `${what}: ${errorMessage(err)}`, { retryable: false, cause: err });
}

