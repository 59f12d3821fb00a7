import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * One replica's output file, capped at `maxBytes`: before a write would take
 * it past the cap the file moves to `<file>.1` (replacing the older one), so a
 * replica never holds more than twice the cap on disk.
 *
 * Writes are synchronous on purpose: appends to a local file take
 * microseconds, and doing them in order on the event loop makes rotation
 * trivially correct (no write can land in the file being renamed).
 */
export class LogFile {
  private fd: number | null = null;
  private size = 0;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  write(chunk: Buffer): void {
    // A full disk or a removed directory must never take supervision down with it;
    // report once and drop output until the next successful open.
    try {
      if (this.fd === null) this.open();
      const data = chunk.length > this.maxBytes ? chunk.subarray(chunk.length - this.maxBytes) : chunk;
      if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
      writeSync(this.fd!, data);
      this.size += data.length;
      this.failed = false;
    } catch (err) {
      if (!this.failed) this.onError(err);
      this.failed = true;
      this.close();
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // Already closed or never valid: nothing left to release.
    }
  }

  private open(): void {
    this.fd = openSync(this.file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    renameSync(this.file, `${this.file}.1`);
    this.open();
  }
}
