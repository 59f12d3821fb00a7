import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditKeyring, type SignedCheckpoint } from './signing.js';

/**
 * Where the audit key and the signed head live (see ./signing.ts for what
 * they prove). The key comes from MEDIC_AUDIT_KEY when set (read by the CLI
 * entry and passed down), else from `<dataDir>/audit.key`, which the engine
 * creates (mode 0600) on its first start. Either holds one or more keys
 * separated by white space or lines: the first signs, later ones are retired
 * keys kept to verify old entries. Lines starting with `#` are comments.
 */
export const AUDIT_KEY_FILE_NAME = 'audit.key';
export const AUDIT_HEAD_FILE_NAME = 'audit-head.json';

export interface LoadedAuditKeys {
  readonly keyring: AuditKeyring;
  /** `MEDIC_AUDIT_KEY` or the key file's path: where to look, never the key. */
  readonly source: string;
  /** True when this call made a new key file. */
  readonly created: boolean;
}

export interface AuditKeyOptions {
  /** The value of MEDIC_AUDIT_KEY, if set. */
  readonly env?: string | undefined;
  /** Make the key file when there is none (the engine does; verify does not). */
  readonly create: boolean;
}

/** The keys, or null when there are none and `create` is false. Throws naming the source when they are bad. */
export function loadAuditKeys(dataDir: string, opts: AuditKeyOptions): LoadedAuditKeys | null {
  if (opts.env !== undefined && opts.env.trim() !== '') {
    return { keyring: keyringFrom(opts.env, 'MEDIC_AUDIT_KEY'), source: 'MEDIC_AUDIT_KEY', created: false };
  }
  const file = join(dataDir, AUDIT_KEY_FILE_NAME);
  if (!existsSync(file)) {
    if (!opts.create) return null;
    mkdirSync(dataDir, { recursive: true });
    writeNewFile(file, `# Medic audit key: back it up, keep it secret (README "Audit key").\n${newAuditKey()}\n`, 0o600);
    return { keyring: keyringFrom(readFileSync(file, 'utf8'), file), source: file, created: true };
  }
  const mode = statSync(file).mode & 0o777;
  // Like ssh with a private key: a key others can read proves nothing.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(`${file}: the audit key is readable by others (mode ${mode.toString(8)}); run chmod 600 ${file}`);
  }
  return { keyring: keyringFrom(readFileSync(file, 'utf8'), file), source: file, created: false };
}

/** 32 random bytes, base64url: 43 characters. */
export function newAuditKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Puts a new signing key first in the key file, keeping the old ones to
 * verify what they signed. Returns the new key's id. The engine reads keys at
 * start, so the new key signs from the next start on.
 */
export function rotateAuditKeyFile(dataDir: string): { file: string; id: string; retired: number } {
  const loaded = loadAuditKeys(dataDir, { create: false });
  if (!loaded) throw new Error(`no audit key file at ${join(dataDir, AUDIT_KEY_FILE_NAME)} to rotate`);
  const file = join(dataDir, AUDIT_KEY_FILE_NAME);
  const key = newAuditKey();
  const old = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  const text = [
    '# Medic audit key: back it up, keep it secret (README "Audit key").',
    '# The first key signs; the keys after it are retired and only verify older entries.',
    key, ...old, '',
  ].join('\n');
  replaceFile(file, text, 0o600);
  return { file, id: new AuditKeyring([key]).currentId, retired: loaded.keyring.ids.length };
}

function keyringFrom(text: string, source: string): AuditKeyring {
  const keys = text.split('\n').filter((l) => !l.trim().startsWith('#')).join(' ').split(/\s+/).filter(Boolean);
  if (keys.length === 0) throw new Error(`${source}: no audit key in it`);
  try {
    return new AuditKeyring(keys);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Where the newest signed checkpoint is kept outside the database. */
export interface HeadWitness {
  readonly file: string;
  /** null when there is no head file yet; throws when it exists but is not a signed head. */
  read(): SignedCheckpoint | null;
  write(head: SignedCheckpoint): void;
}

export function headFile(dataDir: string): HeadWitness {
  const file = join(dataDir, AUDIT_HEAD_FILE_NAME);
  return {
    file,
    read() {
      if (!existsSync(file)) return null;
      let v: Partial<SignedCheckpoint>;
      try {
        v = JSON.parse(readFileSync(file, 'utf8')) as Partial<SignedCheckpoint>;
      } catch {
        throw new Error(`${file}: not JSON`);
      }
      if (!Number.isInteger(v.seq) || typeof v.hash !== 'string' || typeof v.at !== 'number' || typeof v.mac !== 'string') {
        throw new Error(`${file}: not a signed audit head (seq, hash, at, mac)`);
      }
      return { seq: v.seq!, hash: v.hash, at: v.at, mac: v.mac };
    },
    write(head) {
      replaceFile(file, `${JSON.stringify({ seq: head.seq, hash: head.hash, at: head.at, mac: head.mac })}\n`, 0o644);
    },
  };
}

/** Written to a temporary file, synced, then renamed over: a crash leaves the old file or the new one. */
function replaceFile(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeNewFile(tmp, text, mode, 'w');
  renameSync(tmp, file);
}

function writeNewFile(file: string, text: string, mode: number, flags = 'wx'): void {
  const fd = openSync(file, flags, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
