import { useApprovals } from './approvals-data';
import { useEffect, useState } from 'react';
import { Link, useLocation } from './router';
import { connectLive, disconnectLive, useLiveState } from './live';
import { session, type SessionState } from './session';
import type { Settings } from './types';
import { useApi } from './use-api';
import { Approvals } from './views/approvals';
import { Executions } from './views/executions';
import { IncidentPage } from './views/incident';
import { Incidents } from './views/incidents';
import { Login, Logo } from './views/login';
import { Operations } from './views/operations';
import { Overview } from './views/overview';

const NAV = [
  { to: '/', label: 'Overview' },
  { to: '/incidents', label: 'Incidents' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/executions', label: 'Executions' },
  { to: '/operations', label: 'Operations' },
] as const;

export function App() {
  const [who, setWho] = useState<SessionState | null>(session.current());
  const [why, setWhy] = useState<string | null>(null);
  useEffect(() => session.subscribe((s, reason) => {
    setWho(s);
    setWhy(reason ?? null);
  }), []);
  useEffect(() => {
    if (!who) return;
    connectLive(who.token);
    return disconnectLive;
  }, [who]);
  if (!who) return <Login why={why} />;
  return <Shell who={who} />;
}

function Shell({ who }: { who: SessionState }) {
  const loc = useLocation();
  const [menu, setMenu] = useState(false);
  useEffect(() => setMenu(false), [loc.path]);
  const section = '/' + (loc.path.split('/')[1] ?? '');
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <div className="brand"><Logo /><span>Medic</span></div>
        <button type="button" className="btn btn-ghost menu-toggle" aria-expanded={menu} aria-controls="nav" onClick={() => setMenu(!menu)}>Menu</button>
        <nav id="nav" className={menu ? 'open' : ''} aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={section === n.to ? 'page' : undefined}>
              {n.label}{n.to === '/approvals' && <ApprovalCount />}
            </Link>
          ))}
        </nav>
        <div className="topbar-right">
          <EngineState />
          <LiveDot />
          <span className="who" title={who.expiresAt ? `token expires ${new Date(who.expiresAt).toLocaleString()}` : 'token does not expire'}>
            {who.name}{who.role && <span className="role">{who.role}</span>}
          </span>
          <button type="button" className="btn btn-ghost" onClick={() => session.logout()}>Log out</button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Route path={loc.path} />
      </main>
    </div>
  );
}

function Route({ path }: { path: string }) {
  const m = path.match(/^\/incidents\/([^/]+)$/);
  if (m?.[1]) return <IncidentPage id={decodeURIComponent(m[1])} />;
  if (path === '/' || path === '') return <Overview />;
  if (path === '/incidents') return <Incidents />;
  if (path === '/approvals') return <Approvals />;
  if (path === '/executions') return <Executions />;
  if (path.startsWith('/operations')) return <Operations />;
  return (
    <div className="state state-empty">
      <strong>No page at {path}</strong>
      <p><Link to="/">Go to the overview</Link></p>
    </div>
  );
}

/** Kill switch and mode, on every page: the first things to know when Medic seems to do nothing. */
function EngineState() {
  const s = useApi<Settings>('/settings', ['setting']);
  if (!s.data) return <span className="pill pill-muted" title={s.error?.message}>{s.error ? 'settings n/a' : '…'}</span>;
  const on = s.data.autoRemediation;
  return (
    <Link to="/operations?tab=settings" className="engine-state" aria-label={`Auto-remediation ${on ? 'on' : 'off'}, mode ${s.data.mode}`}>
      <span className={`pill ${on ? 'pill-good' : 'pill-bad'}`} data-testid="kill-switch">Auto-remediation {on ? 'on' : 'off'}</span>
      <span className={`pill ${s.data.mode === 'active' ? 'pill-info' : 'pill-warn'}`} data-testid="mode">{s.data.mode}</span>
    </Link>
  );
}

function ApprovalCount() {
  const a = useApprovals();
  const n = a.data?.items.length ?? 0;
  return n > 0 ? <span className="count" aria-label={`${n} waiting`}>{n}</span> : null;
}

function LiveDot() {
  const state = useLiveState();
  const text = { live: 'Live', connecting: 'Connecting', reconnecting: 'Reconnecting', polling: 'Polling every 10 s', off: 'Offline' }[state];
  return <span className={`live live-${state}`} role="status" title={state === 'polling' ? 'The event stream is not available; refreshing every 10 s' : `Event stream: ${text}`}><span className="dot" aria-hidden="true" />{text}</span>;
}
