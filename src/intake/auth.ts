import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may push alerts: the source's shared secret, or an API token. The
 * API's intake routes (src/api/routes/intake.ts) pass in `verifyToken`, which
 * checks the token against the API's token store; `noTokens` accepts none. Secrets are compared in constant time (as hashes,
 * so their length does not leak either) and never logged.
 */
export type VerifyToken = (token: string) => Promise<{ readonly name: string; readonly role: string } | null>;

export const noTokens: VerifyToken = async () => null;

/** Roles allowed to push alerts with a token. */
const INTAKE_ROLES = new Set(['operator', 'admin', 'superadmin']);

export type IntakeAuth = { readonly ok: true; readonly sender: string } | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

export async function authenticateIntake(header: string | undefined, secret: string | null, verifyToken: VerifyToken): Promise<IntakeAuth> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return { ok: false, status: 401, message: 'missing bearer credentials: send Authorization: Bearer <intake secret or API token>' };
  const presented = m[1]!;
  if (secret !== null && sameSecret(presented, secret)) return { ok: true, sender: 'secret' };
  const token = await verifyToken(presented);
  if (!token) return { ok: false, status: 401, message: 'invalid credentials' };
  if (!INTAKE_ROLES.has(token.role)) return { ok: false, status: 403, message: `role ${token.role} may not push alerts (operator or above)` };
  return { ok: true, sender: `token:${token.name}` };
}

export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
