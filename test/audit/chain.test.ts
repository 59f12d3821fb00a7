import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ChainVerifier,
  GENESIS,
  GENESIS_HASH,
  canonicalJson,
  hashEntry,
  verifyChain,
  type ChainEntry,
} from '../../src/audit/chain.js';

function chain(n: number, from = GENESIS): ChainEntry[] {
  const out: ChainEntry[] = [];
  let prev = from;
  for (let i = 1; i <= n; i++) {
    const fields = { seq: prev.seq + 1, at: 1000 + i, actor: 'engine', kind: 'step', subject: `exe-${i}`, details: { i, ok: true }, result: 'ok' };
    const hash = hashEntry(prev.hash, fields);
    out.push({ ...fields, prevHash: prev.hash, hash });
    prev = { seq: fields.seq, hash };
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('sorts numeric-looking keys as strings, not in JavaScript property order', () => {
    expect(canonicalJson({ 10: 'a', 9: 'b', a: 'c' })).toBe('{"10":"a","9":"b","a":"c"}');
  });

  it('gives equal bytes for equal values built in different orders', () => {
    expect(canonicalJson({ x: 1, y: [1, 2] })).toBe(canonicalJson({ y: [1, 2], x: 1 }));
  });

  it('follows JSON.stringify for undefined, non-finite numbers, dates and strings', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity], c: new Date(0), d: 'é"\n' })).toBe(
      '{"b":[null,null,null],"c":"1970-01-01T00:00:00.000Z","d":"é\\"\\n"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is stable under a parse round trip', () => {
    const text = canonicalJson({ n: 1e21, m: -0, s: '\ud800', nested: { b: [1.5], a: 'x' } });
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('refuses cycles and bigint instead of hashing something ambiguous', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/circular/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
    // The same object twice, side by side, is not a cycle.
    const shared = { a: 1 };
    expect(canonicalJson([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });
});

describe('hashEntry', () => {
  it('is sha256 over the canonical JSON of the entry and its prevHash', () => {
    const fields = { seq: 1, at: 5, actor: 'cli', kind: 'setting', subject: 'k', details: { b: 2, a: 1 }, result: 'ok' };
    const expected = createHash('sha256')
      .update(`{"actor":"cli","at":5,"details":{"a":1,"b":2},"kind":"setting","prevHash":"${GENESIS_HASH}","result":"ok","seq":1,"subject":"k"}`)
      .digest('hex');
    expect(hashEntry(GENESIS_HASH, fields)).toBe(expected);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('changes when any hashed field changes', () => {
    const base = { seq: 1, at: 5, actor: 'cli', kind: 'setting', subject: 'k', details: { a: 1 }, result: 'ok' };
    const h = hashEntry(GENESIS_HASH, base);
    expect(hashEntry('1'.repeat(64), base)).not.toBe(h);
    for (const patch of [{ seq: 2 }, { at: 6 }, { actor: 'x' }, { kind: 'x' }, { subject: 'x' }, { details: { a: 2 } }, { result: 'failed' }]) {
      expect(hashEntry(GENESIS_HASH, { ...base, ...patch })).not.toBe(h);
    }
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    expect(verifyChain(chain(20))).toEqual({ ok: true, checked: 20, firstBad: null });
    expect(verifyChain([])).toEqual({ ok: true, checked: 0, firstBad: null });
  });

  it('names the entry whose content changed', () => {
    const entries = chain(10);
    entries[3] = { ...entries[3]!, details: { i: 4, ok: false } };
    expect(verifyChain(entries)).toEqual({ ok: false, checked: 4, firstBad: { seq: 4, reason: 'hash mismatch: entry content changed' } });
  });

  it('names a deleted entry itself, not the one after it', () => {
    const entries = chain(10);
    entries.splice(6, 1);
    expect(verifyChain(entries).firstBad).toEqual({ seq: 7, reason: 'missing entry 7: deleted or out of order (the next entry is 8)' });
  });

  it('catches swapped entries', () => {
    const entries = chain(5);
    [entries[1], entries[2]] = [entries[2]!, entries[1]!];
    expect(verifyChain(entries).firstBad).toEqual({ seq: 2, reason: 'missing entry 2: deleted or out of order (the next entry is 3)' });
  });

  it('starts from an anchor, as a pruned log will', () => {
    const full = chain(10);
    const anchor = { seq: full[5]!.seq, hash: full[5]!.hash };
    const kept = full.slice(6);
    expect(verifyChain(kept, anchor)).toEqual({ ok: true, checked: 4, firstBad: null });
    expect(verifyChain(kept).firstBad).toEqual({ seq: 1, reason: 'missing entries 1..6: deleted or out of order (the next entry is 7)' });
  });

  it('stops at the first break and reports it for every later push', () => {
    const entries = chain(4);
    entries[1] = { ...entries[1]!, result: 'forged' };
    const v = new ChainVerifier();
    expect(v.push(entries[0]!)).toBeNull();
    const first = v.push(entries[1]!);
    expect(first?.seq).toBe(2);
    expect(v.push(entries[2]!)).toBe(first);
    expect(v.result().checked).toBe(2);
    expect(v.head).toEqual({ seq: 1, hash: entries[0]!.hash });
  });
});
