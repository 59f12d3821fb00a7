import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { ApiError, del, post } from '../api';
import { Card, Empty, Loaded, Status } from '../components/ui';
import { age, clock, duration } from '../format';
import { useNow } from '../live';
import { setQuery, useLocation } from '../router';
import { needsRole, session } from '../session';
import type { Breaker, Silence, SilenceMatcher } from '../types';
import { useApi } from '../use-api';
import { AuditLog, RulesTab, RunbooksTab, SettingsTab } from './operations-more';

function select(id: string): void {
  setQuery({ tab: id === 'breakers' ? '' : id });
}

/** The WAI-ARIA tabs pattern: arrows (and Home/End) move between tabs, Tab leaves the list. */
function onArrows(e: KeyboardEvent<HTMLDivElement>): void {
  const ids = TABS.map((t) => t[0]);
  const current = ids.indexOf((document.activeElement?.id ?? '').replace(/^tab-/, '') as (typeof ids)[number]);
  if (current < 0) return;
  const next = e.key === 'ArrowRight' ? (current + 1) % ids.length : e.key === 'ArrowLeft' ? (current + ids.length - 1) % ids.length
    : e.key === 'Home' ? 0 : e.key === 'End' ? ids.length - 1 : -1;
  if (next < 0) return;
  e.preventDefault();
  const id = ids[next]!;
  select(id);
  document.getElementById(`tab-${id}`)?.focus();
}

const TABS = [
  ['breakers', 'Circuit breakers'], ['silences', 'Silences'], ['runbooks', 'Runbooks'],
  ['rules', 'Rules'], ['settings', 'Settings'], ['audit', 'Audit log'],
] as const;

export function Operations() {
  const { query } = useLocation();
  const tab = query.get('tab') ?? 'breakers';
  return (
    <div className="page">
      <div className="page-head"><h1>Operations</h1></div>
      <div className="tabs" role="tablist" aria-label="Operations" onKeyDown={onArrows}>
        {TABS.map(([id, label]) => (
          <button key={id} type="button" role="tab" id={`tab-${id}`} aria-selected={tab === id} aria-controls="tabpanel" tabIndex={tab === id ? 0 : -1}
            onClick={() => select(id)}>{label}</button>
        ))}
      </div>
      <div id="tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'breakers' && <Breakers />}
        {tab === 'silences' && <Silences />}
        {tab === 'runbooks' && <RunbooksTab />}
        {tab === 'rules' && <RulesTab />}
        {tab === 'settings' && <SettingsTab />}
        {tab === 'audit' && <AuditLog />}
      </div>
    </div>
  );
}

function Breakers() {
  const b = useApi<{ items: Breaker[] }>('/breakers', ['breaker', 'execution']);
  const now = useNow(5000);
  const denied = needsRole(session.current(), 'superadmin');
  const [msg, setMsg] = useState<string | null>(null);
  const reset = async (key: string) => {
    setMsg(null);
    try {
      await post(`/breakers/${encodeURIComponent(key)}/reset`);
      b.reload();
    } catch (err) {
      setMsg((err as Error).message);
    }
  };
  return (
    <Card title="Circuit breakers" actions={<span className="muted small">A breaker opens after repeated failures of a runbook on a target, and stops it running again.</span>}>
      {msg && <p className="form-error" role="alert">{msg}</p>}
      <Loaded state={b} what="circuit breakers" empty={(d) => d.items.length === 0 ? <Empty title="No circuit breakers yet" hint="They appear after a runbook fails on a target." /> : null}>
        {(d) => (
          <div className="table-wrap">
            <table className="table">
              <thead><tr><th>State</th><th>Runbook</th><th>Target</th><th>Failures</th><th className="hide-sm">Opened</th><th /></tr></thead>
              <tbody>
                {[...d.items].sort((x, y) => Number(y.state === 'open') - Number(x.state === 'open')).map((x) => (
                  <tr key={x.key}>
                    <td><Status status={x.state} /></td>
                    <td>{x.runbook}</td>
                    <td className="mono">{x.target}</td>
                    <td>
                      {x.failures.length}
                      {x.failures.length > 0 && <div className="muted small">{[...x.failures].sort((p, q) => q - p).slice(0, 5).map((f) => clock(f)).join(', ')}{x.failures.length > 5 ? ', …' : ''}</div>}
                    </td>
                    <td className="hide-sm">{x.openedAt ? age(x.openedAt, now) : '—'}</td>
                    <td className="right">
                      {x.state === 'open' && <button type="button" className="btn" disabled={!!denied} title={denied ?? undefined} onClick={() => void reset(x.key)}>Reset</button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {denied && d.items.some((x) => x.state === 'open') && <p className="denied small">{denied} Resetting a breaker is for superadmins.</p>}
          </div>
        )}
      </Loaded>
    </Card>
  );
}

const DURATIONS: [string, number][] = [['30 minutes', 30 * 60_000], ['1 hour', 3_600_000], ['4 hours', 4 * 3_600_000], ['1 day', 86_400_000]];

function Silences() {
  const s = useApi<{ items: Silence[] }>('/silences', ['setting']);
  const now = useNow(5000);
  const denied = needsRole(session.current(), 'operator');
  const [msg, setMsg] = useState<string | null>(null);
  const expire = async (id: string) => {
    try {
      await del(`/silences/${encodeURIComponent(id)}`);
      s.reload();
    } catch (err) {
      setMsg((err as Error).message);
    }
  };
  return (
    <div className="grid exec-grid">
      <Card title="Silences" className="span-2">
        {msg && <p className="form-error" role="alert">{msg}</p>}
        <Loaded state={s} what="silences" empty={(d) => d.items.length === 0 ? <Empty title="No silences" hint="A silence records matching incidents without acting on them: use it for planned maintenance." /> : null}>
          {(d) => (
            <div className="table-wrap">
              <table className="table">
                <thead><tr><th>State</th><th>Matches</th><th>Until</th><th className="hide-sm">By</th><th /></tr></thead>
                <tbody>
                  {d.items.map((x) => (
                    <tr key={x.id}>
                      <td><Status status={x.state} /></td>
                      <td>
                        <span className="mono">{x.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}</span>
                        {x.comment && <div className="muted small">{x.comment}</div>}
                      </td>
                      <td title={clock(x.endsAt)}>{x.state === 'expired' ? `ended ${age(x.endsAt, now)}` : `${duration(x.endsAt - now)} left`}</td>
                      <td className="hide-sm">{x.createdBy}</td>
                      <td className="right">{x.state !== 'expired' && <button type="button" className="btn" disabled={!!denied} title={denied ?? undefined} onClick={() => void expire(x.id)}>Expire</button>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loaded>
      </Card>
      <Card title="New silence"><NewSilence denied={denied} onDone={s.reload} /></Card>
    </div>
  );
}

function NewSilence({ denied, onDone }: { denied: string | null; onDone: () => void }) {
  const [label, setLabel] = useState('target');
  const [op, setOp] = useState<SilenceMatcher['op']>('=');
  const [value, setValue] = useState('');
  const [span, setSpan] = useState(String(DURATIONS[1]?.[1]));
  const [comment, setComment] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMsg(null);
    try {
      await post('/silences', { matchers: [{ label: label.trim(), op, value }], endsAt: Date.now() + Number(span), comment: comment.trim() });
      setValue('');
      setComment('');
      setMsg({ ok: true, text: 'Silence created.' });
      onDone();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-label="New silence">
      <div className="row">
        <label className="grow">Label<input value={label} onChange={(e) => setLabel(e.target.value)} required disabled={!!denied} /></label>
        <label>Match
          <select value={op} onChange={(e) => setOp(e.target.value as SilenceMatcher['op'])} disabled={!!denied}>
            <option value="=">equals</option><option value="!=">differs</option><option value="=~">regex</option><option value="!~">not regex</option>
          </select>
        </label>
      </div>
      <label>Value<input value={value} onChange={(e) => setValue(e.target.value)} required disabled={!!denied} placeholder="e.g. demo" /></label>
      <label>For
        <select value={span} onChange={(e) => setSpan(e.target.value)} disabled={!!denied}>
          {DURATIONS.map(([l, ms]) => <option key={l} value={ms}>{l}</option>)}
        </select>
      </label>
      <label>Comment<input value={comment} onChange={(e) => setComment(e.target.value)} required disabled={!!denied} placeholder="Why (e.g. planned maintenance)" /></label>
      <button type="submit" className="btn btn-primary" disabled={!!denied}>Create silence</button>
      {denied && <p className="denied small">{denied}</p>}
      {msg && <p className={msg.ok ? 'form-ok' : 'form-error'} role="status">{msg.text}</p>}
    </form>
  );
}
