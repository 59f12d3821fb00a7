import { describe, expect, it } from 'vitest';
import { createConsoleChannel, formatConsoleLine } from '../../src/notify/console.js';

const at = new Date(2026, 0, 1, 14, 2, 7).getTime(); // local time, as the line shows it

describe('console channel', () => {
  it('prints one readable line', () => {
    const line = formatConsoleLine({ event: 'fixed', severity: 'P1', title: 'restart-demo succeeded in 312 ms', text: 'verified', target: 'demo' }, at);
    expect(line).toBe('14:02:07 P1 demo  restart-demo succeeded in 312 ms');
  });

  it('keeps a multi-line title on one line and shows a missing target as -', () => {
    const line = formatConsoleLine({ event: 'x', severity: 'P3', title: 'first\n  second\r\nthird', text: '' }, at);
    expect(line).toBe('14:02:07 P3 -  first second third');
  });

  it('falls back to the text when the title is empty', () => {
    expect(formatConsoleLine({ event: 'x', severity: 'P2', title: '', text: 'body' }, at)).toBe('14:02:07 P2 -  body');
  });

  it('writes through the given writer, newline-terminated', async () => {
    const lines: string[] = [];
    const ch = createConsoleChannel({ name: 'console' }, { write: (l) => lines.push(l) });
    await ch.send({ event: 'fixed', severity: 'P2', title: 'ok', text: '' }, at);
    expect(lines).toEqual(['14:02:07 P2 -  ok\n']);
  });
});
