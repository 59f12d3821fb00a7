import type { ReactNode } from 'react';
import type { ApiError } from '../api';
import { words } from '../format';
import type { Severity } from '../types';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge sev-${severity.toLowerCase()}`} title={`severity ${severity}`}>{severity}</span>;
}

const STATUS_TONE: Record<string, string> = {
  open: 'bad', escalated: 'bad', failed: 'bad', rollback_failed: 'bad',
  awaiting_approval: 'warn', remediating: 'info', running: 'info', verifying: 'info', watching: 'info', rolling_back: 'warn', pending: 'muted',
  resolved: 'good', succeeded: 'good', rolled_back: 'warn', rejected: 'muted', cancelled: 'muted', dry_run: 'muted', shadowed: 'muted',
  skipped: 'muted', unknown: 'warn', held: 'bad', active: 'good', expired: 'muted', closed: 'good',
};

export function Status({ status }: { status: string }) {
  return <span className={`status tone-${STATUS_TONE[status] ?? 'muted'}`}><span className="dot" aria-hidden="true" />{words(status)}</span>;
}

export function Card({ title, actions, children, className }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="state state-loading" role="status" aria-live="polite"><span className="spinner" aria-hidden="true" />Loading {what}…</div>;
}

export function Empty({ title, hint }: { title: string; hint?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {hint && <p>{hint}</p>}
    </div>
  );
}

/** An error says what happened and what to do; a route the server lacks says which. */
export function ErrorState({ error, what, retry }: { error: ApiError; what: string; retry?: () => void }) {
  if (error.notAvailable) return <NotAvailable what={what} detail={error.message} />;
  const hint = error.status === 0 ? 'Check that the Medic engine is running and reachable, then retry.'
    : error.status === 403 ? 'Your token’s role may not see this. Ask an admin for a token with more rights.'
      : error.status >= 500 ? 'The engine failed to answer. Its log (stderr) has the details; retry in a moment.'
        : 'Check the filters or the input, then retry.';
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load {what}</strong>
      <p>{error.message}</p>
      <p className="muted">{hint}</p>
      {retry && <button type="button" className="btn" onClick={retry}>Retry</button>}
    </div>
  );
}

export function NotAvailable({ what, detail }: { what: string; detail?: string }) {
  return (
    <div className="state state-na">
      <strong>{what[0]?.toUpperCase()}{what.slice(1)}: not available on this engine</strong>
      <p className="muted">This Medic server does not offer that part of the API yet{detail ? ` (${detail})` : ''}. Upgrade the engine to see it here.</p>
    </div>
  );
}

/** Loading / error / empty handling around one loaded value. */
export function Loaded<T>({ state, what, empty, children }: {
  state: { data: T | undefined; error: ApiError | null; reload: () => void };
  what: string;
  empty?: (d: T) => ReactNode | null;
  children: (d: T) => ReactNode;
}) {
  if (state.data === undefined) {
    if (state.error) return <ErrorState error={state.error} what={what} retry={state.reload} />;
    return <Loading what={what} />;
  }
  const e = empty?.(state.data);
  return (
    <>
      {state.error && !state.error.notAvailable && <div className="stale" role="status">Showing the last data: refreshing failed ({state.error.message}).</div>}
      {e ?? children(state.data)}
    </>
  );
}

export function KeyValues({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}
