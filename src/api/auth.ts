import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Store, TokenRecord } from '../store/types.js';

export type TokenStore = Store['tokens'];
import { ApiError } from './errors.js';

/**
 * Bearer tokens and roles (SPEC §7). A token is `medic_` + 32 random bytes;
 * the store keeps only its SHA-256, so checking a token is one lookup by hash
 * and a leaked database opens nothing.
 */
export const ROLES = ['viewer', 'operator', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Who is calling, after the token checked out. `name` is the audit log's actor. */
export interface Principal {
  readonly tokenId: string | null;
  readonly name: string;
  readonly role: Role;
  readonly expiresAt: number | null;
}

export const TOKEN_PREFIX = 'medic_';
/** A bootstrap secret chosen by a person must still be hard to guess. */
export const MIN_SECRET_LENGTH = 20;

export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The secret of an `Authorization: Bearer <secret>` header, or null. */
export function bearerOf(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ \t]+(\S{1,512})[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}

export class Authenticator {
  constructor(private readonly tokens: TokenStore, private readonly clock: Clock) {}

  /** The principal of a secret; 401 when it is unknown, revoked or expired (one message for all three). */
  async verify(secret: string | null): Promise<Principal> {
    if (secret === null) throw new ApiError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>');
    const hash = hashToken(secret);
    const token = await this.tokens.findByHash(hash);
    // The lookup is by hash already; compare again in constant time so timing says nothing about near misses.
    if (!token || !timingSafeEqual(Buffer.from(token.hash, 'hex'), Buffer.from(hash, 'hex')) || !usable(token, this.clock.now()) || !isRole(token.role)) {
      throw new ApiError('unauthorized', 'invalid, expired or revoked token');
    }
    return { tokenId: token.id, name: token.name, role: token.role, expiresAt: token.expiresAt };
  }
}

export function usable(token: TokenRecord, now: number): boolean {
  return token.revokedAt === null && (token.expiresAt === null || token.expiresAt > now);
}

export function requireRole(principal: Principal, need: Role): void {
  if (!roleAtLeast(principal.role, need)) {
    throw new ApiError('forbidden', `this needs the ${need} role; token "${principal.name}" is ${principal.role}`, { need, have: principal.role });
  }
}
