/**
 * Who is logged in. The token lives in sessionStorage only: closing the tab
 * logs out, and nothing is written to localStorage or cookies.
 */
import type { Role, WhoAmI } from './types';

const KEY = 'medic.session';

export interface SessionState {
  readonly token: string;
  readonly name: string;
  /** null when the server does not say (an engine without /whoami). */
  readonly role: Role | null;
  readonly expiresAt: number | null;
}

type Listener = (s: SessionState | null, why?: string) => void;
const listeners = new Set<Listener>();

function read(): SessionState | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as SessionState) : null;
  } catch {
    return null;
  }
}

let current: SessionState | null = read();

export const session = {
  current: (): SessionState | null => current,
  token: (): string | null => current?.token ?? null,
  login(token: string, who: WhoAmI | null): void {
    current = { token, name: who?.name ?? 'unknown', role: who?.role ?? null, expiresAt: who?.expiresAt ?? null };
    sessionStorage.setItem(KEY, JSON.stringify(current));
    for (const l of listeners) l(current);
  },
  logout(why?: string): void {
    current = null;
    sessionStorage.removeItem(KEY);
    for (const l of listeners) l(null, why);
  },
  expired(): void {
    session.logout('The server no longer accepts this token (expired or revoked). Log in again.');
  },
  subscribe(l: Listener): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, superadmin: 3 };

/** Whether the logged-in role may do what needs `needed`; a role the server did not tell is let try (the server decides). */
export function may(s: SessionState | null, needed: Role): boolean {
  if (!s) return false;
  if (s.role === null) return true;
  return RANK[s.role] >= RANK[needed];
}

/** Why a control is disabled, for its title and the text next to it. */
export function needsRole(s: SessionState | null, needed: Role): string | null {
  if (may(s, needed)) return null;
  return `Needs the ${needed} role; you are logged in as ${s?.name ?? 'nobody'} (${s?.role ?? 'no role'}).`;
}
