import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Reading files with a cap: for the probes and actions that compare or copy files a person configured. */

/** Config files are small; a file bigger than this is not something to diff on every check. */
export const MAX_COMPARE_BYTES = 10 * 1024 * 1024;

export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError';
  constructor(readonly path: string, readonly maxBytes: number) {
    super(`${path} is larger than ${formatBytes(maxBytes)}: not read`);
  }
}

export interface CappedRead {
  readonly data: Buffer;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Reads a regular file of at most maxBytes. O_NONBLOCK so that a FIFO put
 * where a file should be cannot hang a thread of the pool in open(); the
 * fstat then refuses it. The cap holds even for a file that grows while read.
 */
export async function readFileCapped(
  path: string,
  maxBytes: number,
  opts: { noFollow?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<CappedRead> {
  opts.signal?.throwIfAborted();
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0);
  const fh = await open(path, flags);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    if (st.size > maxBytes) throw new FileTooLargeError(path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const buf = Buffer.allocUnsafe(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new FileTooLargeError(path, maxBytes);
      chunks.push(buf.subarray(0, bytesRead));
    }
    return { data: Buffer.concat(chunks, total), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } finally {
    await fh.close();
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
