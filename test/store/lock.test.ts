import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireStoreLock, LOCK_INFO_FILE_NAME, StoreLockedError } from '../../src/store/lock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('store lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'medic-lock-unit-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second holder, naming the file, pid and host, until the first releases it', () => {
    const first = acquireStoreLock(dir, { pid: 4242, host: 'box-a', since: T0 });
    let refused: unknown;
    try {
      acquireStoreLock(dir, { pid: 4343, host: 'box-b', since: T0 });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as Error).message).toBe(`the store is locked by another engine: ${join(dir, 'medic.lock')} is held by pid 4242 on box-a ` +
      'since 2026-01-01T12:00:00.000Z. Stop that engine first, or give this one another --data-dir.');
    first.release();
    first.release();
    acquireStoreLock(dir, { pid: 4343, host: 'box-b', since: T0 }).release();
  });

  it('is held by the kernel lock, not the label: without the label it still refuses', () => {
    const first = acquireStoreLock(dir, { pid: 4242, host: 'box-a', since: T0 });
    rmSync(join(dir, LOCK_INFO_FILE_NAME));
    expect(() => acquireStoreLock(dir, { pid: 1, host: 'b', since: T0 })).toThrow(/^the store is locked by another engine: .*medic\.lock is held\. Stop/);
    first.release();
  });
});
