import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../api';
import { session } from '../session';
import type { WhoAmI } from '../types';

/** Checks a token against /whoami and keeps it for this browser tab only. */
export async function logIn(token: string): Promise<void> {
  try {
    const who = await request<WhoAmI>('GET', '/whoami', undefined, token);
    session.login(token, who);
  } catch (err) {
    // An engine without /whoami still gets the token on every request; it decides.
    if (err instanceof ApiError && err.notAvailable) return session.login(token, null);
    throw err;
  }
}

export function Login({ why }: { why: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(token.trim());
    } catch (err) {
      const e2 = err as ApiError;
      setError(e2.status === 401 || e2.status === 403 ? 'This token is not valid (unknown, expired or revoked). Check it, or ask an admin for a new one.' : e2.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <div className="brand brand-large"><Logo /> Medic</div>
        <h1 id="login-title">Log in with an API token</h1>
        {why && <p className="notice" role="status">{why}</p>}
        <label htmlFor="token">Token</label>
        <input id="token" name="token" type="password" autoComplete="off" autoFocus required value={token}
          onChange={(e) => setToken(e.target.value)} placeholder="medic_…" aria-describedby="token-help" />
        <p id="token-help" className="muted small">
          <code>medic demo</code> prints a superadmin token when it starts; <code>medic serve</code> uses the tokens you
          created (<code>POST /api/v1/tokens</code>). The token stays in this tab only and is forgotten when you close it.
        </p>
        {error && <p className="form-error" role="alert">{error}</p>}
        <button className="btn btn-primary" type="submit" disabled={busy || !token.trim()}>{busy ? 'Checking…' : 'Log in'}</button>
      </form>
    </main>
  );
}

export function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 16 16" aria-hidden="true">
      <rect width="16" height="16" rx="3.5" fill="var(--accent)" />
      <path d="M7 3h2v4h4v2H9v4H7V9H3V7h4z" fill="#fff" />
    </svg>
  );
}
