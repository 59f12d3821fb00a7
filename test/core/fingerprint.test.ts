import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/core/fingerprint.js';

describe('fingerprint', () => {
  it('is the rule, the target and the labels sorted by name', () => {
    expect(fingerprint('down', 'web', { zone: 'b', app: 'shop' })).toBe('down|web|app=shop|zone=b');
  });

  it('does not depend on label order', () => {
    expect(fingerprint('down', 'web', { a: '1', b: '2', c: '3' })).toBe(fingerprint('down', 'web', { c: '3', a: '1', b: '2' }));
  });

  it('is the same with no labels and with an empty set', () => {
    expect(fingerprint('down', 'web')).toBe('down|web');
    expect(fingerprint('down', 'web', {})).toBe('down|web');
  });

  it('differs by label value, by label name, by target and by rule', () => {
    const base = fingerprint('down', 'web', { a: '1' });
    expect(new Set([
      base,
      fingerprint('down', 'web', { a: '2' }),
      fingerprint('down', 'web', { b: '1' }),
      fingerprint('down', 'db', { a: '1' }),
      fingerprint('slow', 'web', { a: '1' }),
      fingerprint('down', 'web', { a: '1', b: '1' }),
    ]).size).toBe(6);
  });

  it('keeps apart labels whose values contain the separators', () => {
    expect(fingerprint('r', 't', { a: 'x|b=y' })).not.toBe(fingerprint('r', 't', { a: 'x', b: 'y' }));
  });
});
