import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogFileChannel } from '../../src/notify/log-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medic-notify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('log-file channel', () => {
  it('creates the folder and appends one JSON object per line', async () => {
    const path = join(dir, 'nested', 'notifications.jsonl');
    const ch = createLogFileChannel({ name: 'file', path });
    const at = Date.UTC(2026, 0, 1, 12, 0, 0);
    await ch.send({ event: 'fixed', severity: 'P2', title: 'Fixed: restart-demo on demo', text: 'verified in 312 ms', target: 'demo', executionId: 'ex-1' }, at);
    await ch.send({ event: 'escalated', severity: 'P1', title: 'line\nbreak "quoted"', text: '' }, at + 1000);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      at: '2026-01-01T12:00:00.000Z',
      event: 'fixed',
      severity: 'P2',
      title: 'Fixed: restart-demo on demo',
      text: 'verified in 312 ms',
      target: 'demo',
      incidentId: null,
      executionId: 'ex-1',
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ event: 'escalated', title: 'line\nbreak "quoted"', at: '2026-01-01T12:00:01.000Z' });
    expect((await stat(path)).mode & 0o077).toBe(0);
  });

  it('fails the send (for the notifier to count) when the file cannot be written', async () => {
    const ch = createLogFileChannel({ name: 'file', path: join(dir, 'x', '\0bad') });
    await expect(ch.send({ event: 'e', severity: 'P3', title: 't', text: '' }, 0)).rejects.toThrow();
  });
});
