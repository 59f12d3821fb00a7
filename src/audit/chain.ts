import { createHash } from 'node:crypto';

/**
 * The audit log's hash chain (SPEC §6). Pure: no I/O, no clock.
 *
 *   GENESIS ◄─prev_hash─ entry 1 ◄─prev_hash─ entry 2 ◄─ ... ◄─ entry N (head)
 *
 * hash_N = sha256(canonicalJson({seq, at, actor, kind, subject, details, result, prevHash}))
 * with prevHash = hash_{N-1}. Changing any field of an entry changes its hash;
 * deleting or reordering entries breaks the next entry's link. Two things
 * the chain alone cannot show: a truncated tail, and an entry edited by
 * someone who then recomputed every hash after it. ./signing.ts closes both
 * with a key kept outside the database (MACs per entry, signed checkpoints
 * of the head, the newest also in a file).
 *
 * Pruning (retention: 90 days, 365 for P0/P1) is not built yet; the chain is
 * designed so that it can stay verifiable:
 * - Only a prefix is pruned, and only up to a signed checkpoint K (every seq
 *   <= K). The checkpoint row stays: it is the anchor, signed, so it cannot
 *   be forged. In the same transaction the pruner appends a `retention` entry
 *   naming K and hash_K. Verification then starts at the anchor instead of
 *   GENESIS (ChainVerifier takes it), and checks the anchor against that
 *   chained retention entry, so a pruned prefix cannot be passed off for
 *   further deletions.
 * - Entries that must outlive the prefix (P0/P1) stop the prefix there; or
 *   older entries around them become tombstones that keep seq, prev_hash,
 *   hash and mac but drop the content, checked for their links only.
 */

export interface ChainLink {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
/** The anchor of an unpruned log: the first entry is seq 1 with prev_hash GENESIS_HASH. */
export const GENESIS: ChainLink = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * An entry as stored. `details` is unknown rather than an object so that a
 * verifier can hand over stored text that no longer parses: it then fails
 * the hash check like any other changed content.
 */
export interface ChainEntry {
  readonly seq: number;
  readonly at: number;
  readonly actor: string;
  readonly kind: string;
  readonly subject: string;
  readonly details: unknown;
  readonly result: string;
  readonly prevHash: string;
  readonly hash: string;
}

export type HashedFields = Omit<ChainEntry, 'prevHash' | 'hash'>;

export interface ChainBreak {
  readonly seq: number;
  readonly reason: string;
}

export interface ChainVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly firstBad: ChainBreak | null;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no
 * whitespace, so equal values always give equal bytes; numbers and strings
 * are written as JSON.stringify writes them, which makes this RFC 8785 (JCS)
 * for the values audit details hold. Like JSON.stringify it honours toJSON,
 * drops undefined/function/symbol members (null inside arrays) and writes
 * non-finite numbers as null. It throws on cycles and on bigint.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set()) ?? 'null';
}

function write(input: unknown, parents: Set<object>): string | undefined {
  let value = input;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (parents.has(obj)) throw new TypeError('canonicalJson: circular structure');
  parents.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item: unknown) => write(item, parents) ?? 'null').join(',')}]`;
    }
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const text = write(record[key], parents);
      if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    parents.delete(obj);
  }
}

export function hashEntry(prevHash: string, entry: HashedFields): string {
  const { seq, at, actor, kind, subject, details, result } = entry;
  const text = canonicalJson({ seq, at, actor, kind, subject, details, result, prevHash });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Checks entries one at a time, in seq order, so a log of millions of rows
 * can be streamed page by page. Stops at the first break: everything after
 * it is unverifiable anyway.
 */
export class ChainVerifier {
  private last: ChainLink;
  private count = 0;
  private broken: ChainBreak | null = null;

  constructor(anchor: ChainLink = GENESIS) {
    this.last = anchor;
  }

  /** The last entry that verified (the anchor before any). */
  get head(): ChainLink {
    return this.last;
  }

  get firstBad(): ChainBreak | null {
    return this.broken;
  }

  /** Returns the break this entry caused or the earlier one; null while intact. */
  push(entry: ChainEntry): ChainBreak | null {
    if (this.broken) return this.broken;
    this.count++;
    // Content first: an entry that was edited in place is named as the
    // culprit, not the innocent entry after it.
    if (hashEntry(entry.prevHash, entry) !== entry.hash) {
      return (this.broken = { seq: entry.seq, reason: 'hash mismatch: entry content changed' });
    }
    // A gap before the link: a deleted entry is named itself, not the
    // innocent entry after it.
    const expected = this.last.seq + 1;
    if (entry.seq > expected) {
      const which = entry.seq - 1 === expected ? `entry ${expected}` : `entries ${expected}..${entry.seq - 1}`;
      return (this.broken = { seq: expected, reason: `missing ${which}: deleted or out of order (the next entry is ${entry.seq})` });
    }
    if (entry.prevHash !== this.last.hash) {
      return (this.broken = { seq: entry.seq, reason: `broken link: prev_hash does not match entry ${this.last.seq}` });
    }
    if (entry.seq !== expected) {
      return (this.broken = { seq: entry.seq, reason: `broken sequence: expected seq ${expected}` });
    }
    this.last = { seq: entry.seq, hash: entry.hash };
    return null;
  }

  result(): ChainVerification {
    return { ok: this.broken === null, checked: this.count, firstBad: this.broken };
  }
}

export function verifyChain(entries: Iterable<ChainEntry>, anchor: ChainLink = GENESIS): ChainVerification {
  const verifier = new ChainVerifier(anchor);
  for (const entry of entries) {
    if (verifier.push(entry)) break;
  }
  return verifier.result();
}
