import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';

/** Sortable ids: time first (so lists sort by creation), then randomness. "inc_0mhx3k2a9f1c2d". */
export function newId(prefix: string, clock: Clock): string {
  return `${prefix}_${clock.now().toString(36).padStart(9, '0')}${randomBytes(4).toString('hex')}`;
}
