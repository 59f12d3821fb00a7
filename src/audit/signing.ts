import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { canonicalJson } from './chain.js';

/**
 * What the hash chain cannot prove alone: that the log was written by Medic.
 * Anyone who can write the database can edit an entry and recompute every
 * hash after it; anyone can delete the newest entries. HMAC-SHA256 with a key
 * kept outside the database closes both:
 *
 * - every entry carries `mac = HMAC(key, "entry\n" + hash)`: an entry edited
 *   with its hash recomputed fails its own MAC, so verify names that entry;
 * - checkpoints `{seq, hash, at}` are signed every N entries and at shutdown,
 *   in the database and (the newest one) in a file beside the key: a log that
 *   ends before a signed checkpoint lost its tail.
 *
 * A MAC is written `<key id>:<hex>`, so keys can rotate: the keyring signs
 * with its first key and verifies with any of them. The key id is a hash of
 * the key, never the key. The secrets stay inside this class (`#keys`):
 * JSON.stringify and util.inspect show only ids, so a logged config or error
 * cannot leak them.
 */
export const MIN_AUDIT_KEY_LENGTH = 32;

export type MacCheck = 'ok' | 'mismatch' | 'unknown-key' | 'malformed';

export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  /** Epoch ms when it was signed. */
  readonly at: number;
}

export interface SignedCheckpoint extends Checkpoint {
  readonly mac: string;
}

export class AuditKeyring {
  readonly #keys = new Map<string, Buffer>();
  readonly #current: string;

  /** `secrets[0]` signs; the others (retired keys) only verify. */
  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('an audit keyring needs at least one key');
    for (const s of secrets) {
      if (s.length < MIN_AUDIT_KEY_LENGTH) {
        throw new Error(`an audit key needs at least ${MIN_AUDIT_KEY_LENGTH} characters (one has ${s.length})`);
      }
      this.#keys.set(auditKeyId(s), Buffer.from(s, 'utf8'));
    }
    this.#current = auditKeyId(secrets[0]!);
  }

  /** The id of the key that signs. */
  get currentId(): string {
    return this.#current;
  }

  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  signEntry(hash: string): string {
    return this.#sign(`entry\n${hash}`);
  }

  checkEntry(hash: string, mac: string): MacCheck {
    return this.#check(`entry\n${hash}`, mac);
  }

  signCheckpoint(cp: Checkpoint): SignedCheckpoint {
    return { seq: cp.seq, hash: cp.hash, at: cp.at, mac: this.#sign(checkpointText(cp)) };
  }

  checkCheckpoint(cp: SignedCheckpoint): MacCheck {
    return this.#check(checkpointText(cp), cp.mac);
  }

  toJSON(): { ids: string[] } {
    return { ids: this.ids };
  }

  [inspect.custom](): string {
    return `AuditKeyring(${this.ids.join(', ')})`;
  }

  #sign(text: string): string {
    return `${this.#current}:${hmac(this.#keys.get(this.#current)!, text)}`;
  }

  #check(text: string, mac: string): MacCheck {
    const [id, hex, extra] = mac.split(':');
    if (!id || !hex || extra !== undefined || !/^[0-9a-f]{64}$/.test(hex)) return 'malformed';
    const key = this.#keys.get(id);
    if (!key) return 'unknown-key';
    const expected = Buffer.from(hmac(key, text), 'hex');
    return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? 'ok' : 'mismatch';
  }
}

/** A short public name for a key: a hash of it, from which the key cannot be found. */
export function auditKeyId(secret: string): string {
  return createHash('sha256').update(`medic-audit-key-id\n${secret}`, 'utf8').digest('hex').slice(0, 12);
}

function checkpointText(cp: Checkpoint): string {
  return `checkpoint\n${canonicalJson({ seq: cp.seq, hash: cp.hash, at: cp.at })}`;
}

function hmac(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}
