import type { Clock } from '../core/clock.js';
import { newId } from '../drivers/ids.js';
import type { Store, TokenRecord } from '../store/types.js';
import { hashToken, MIN_SECRET_LENGTH, newTokenSecret, usable, type Role } from './auth.js';
import { ApiError } from './errors.js';

/** What the API and the CLI show of a token: never its secret nor its hash. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly state: 'active' | 'expired' | 'revoked';
}

type Audit = (kind: string, subject: string, result: string, details: Record<string, unknown>, actor: string) => Promise<void>;

/** Creating, listing and revoking tokens, each change audited (without the secret). */
export class Tokens {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly audit: Audit) {}

  /** Returns the secret once; only its hash is kept. */
  async create(input: { name: string; role: Role; expiresAt?: number | null; secret?: string }, actor: string): Promise<TokenView & { token: string }> {
    const now = this.clock.now();
    if (input.expiresAt != null && input.expiresAt <= now) throw new ApiError('bad_request', 'expiresAt: must be in the future', { field: 'expiresAt' });
    const secret = input.secret ?? newTokenSecret();
    if (secret.length < MIN_SECRET_LENGTH) throw new ApiError('bad_request', `token secret: at least ${MIN_SECRET_LENGTH} characters`);
    const hash = hashToken(secret);
    if (await this.store.tokens.findByHash(hash)) throw new ApiError('conflict', 'a token with this secret exists already');
    const record: TokenRecord = {
      id: newId('tok', this.clock), name: input.name, role: input.role, hash, createdAt: now, createdBy: actor,
      expiresAt: input.expiresAt ?? null, revokedAt: null,
    };
    await this.store.tokens.insert(record);
    await this.audit('token', record.id, 'created', { name: record.name, role: record.role, expiresAt: record.expiresAt }, actor);
    return { ...view(record, now), token: secret };
  }

  async list(): Promise<TokenView[]> {
    const now = this.clock.now();
    return (await this.store.tokens.list()).map((t) => view(t, now));
  }

  async revoke(id: string, actor: string): Promise<TokenView> {
    const token = await this.store.tokens.get(id);
    if (!token) throw new ApiError('not_found', `no token ${id}`);
    if (token.revokedAt !== null) throw new ApiError('conflict', `token ${id} is revoked already`);
    const at = this.clock.now();
    if (!(await this.store.tokens.revoke(id, at))) throw new ApiError('conflict', `token ${id} is revoked already`);
    await this.audit('token', id, 'revoked', { name: token.name, role: token.role }, actor);
    return view({ ...token, revokedAt: at }, at);
  }

  /**
   * MEDIC_BOOTSTRAP_TOKEN: on a store with no tokens yet, makes that value a
   * superadmin token. Later starts leave the tokens alone.
   */
  async bootstrap(secret: string): Promise<boolean> {
    if ((await this.store.tokens.count()) > 0) return false;
    await this.create({ name: 'bootstrap', role: 'superadmin', secret }, 'bootstrap');
    return true;
  }
}

function view(t: TokenRecord, now: number): TokenView {
  return {
    id: t.id, name: t.name, role: t.role, createdAt: t.createdAt, createdBy: t.createdBy, expiresAt: t.expiresAt, revokedAt: t.revokedAt,
    state: t.revokedAt !== null ? 'revoked' : usable(t, now) ? 'active' : 'expired',
  };
}
