import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The intake's shared secrets: compared in constant time, as hashes so that
 * their length does not leak either, and never logged. (API tokens are the
 * API's business: src/api/auth.ts.)
 */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
