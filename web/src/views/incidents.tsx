import { useState, type FormEvent } from 'react';
import { qs } from '../api';
import { Card, Empty, Loaded, SeverityBadge, Status } from '../components/ui';
import { age, clock, duration } from '../format';
import { useNow } from '../live';
import { Link, setQuery, useLocation } from '../router';
import { SEVERITIES, type Incident, type Page } from '../types';
import { useApi } from '../use-api';
import { ACTIVE } from './overview';

const STATUS_CHOICES: [string, string][] = [
  ['', 'Any status'], [ACTIVE, 'Active (not resolved)'], ['open', 'Open'], ['remediating', 'Remediating'],
  ['awaiting_approval', 'Awaiting approval'], ['escalated', 'Escalated'], ['resolved', 'Resolved'], ['failed', 'Failed'],
];
export const RANGES: [string, string, number][] = [['', 'Any time', 0], ['1h', 'Last hour', 3_600_000], ['24h', 'Last 24 hours', 86_400_000], ['7d', 'Last 7 days', 7 * 86_400_000], ['30d', 'Last 30 days', 30 * 86_400_000]];
const PAGE = 50;

/** `since` for a range, rounded to the minute so the query (and the fetch) is stable between renders. */
export function sinceOf(range: string): number | undefined {
  const ms = RANGES.find((r) => r[0] === range)?.[2];
  return ms ? Math.floor((Date.now() - ms) / 60_000) * 60_000 : undefined;
}

export function Incidents() {
  const { query } = useLocation();
  const f = { status: query.get('status') ?? '', severity: query.get('severity') ?? '', rule: query.get('rule') ?? '', target: query.get('target') ?? '', range: query.get('range') ?? '' };
  const offset = Number(query.get('offset') ?? 0) || 0;
  const path = `/incidents${qs({ status: f.status, severity: f.severity, rule: f.rule, target: f.target, since: sinceOf(f.range), limit: PAGE, offset })}`;
  const list = useApi<Page<Incident>>(path, ['incident']);
  const now = useNow(5000);
  const filtered = Object.values(f).some(Boolean);

  return (
    <div className="page">
      <div className="page-head"><h1>Incidents</h1></div>
      <Filters f={f} />
      <Card>
        <Loaded state={list} what="incidents" empty={(d) => d.items.length === 0 ? (
          <Empty title={filtered ? 'No incidents match these filters' : 'No incidents yet'}
            hint={filtered ? <button type="button" className="btn" onClick={() => setQuery({ status: '', severity: '', rule: '', target: '', range: '', offset: '' })}>Clear filters</button>
              : 'When a rule holds for a target, its incident appears here live.'} />) : null}>
          {(d) => (
            <>
              <div className="table-wrap">
                <table className="table" aria-label="Incidents">
                  <thead>
                    <tr><th>Sev</th><th>Incident</th><th>Target</th><th>Remediation</th><th className="hide-sm">Opened</th><th className="hide-sm">Duration</th></tr>
                  </thead>
                  <tbody>
                    {d.items.map((i) => (
                      <tr key={i.id} data-testid="incident-row" data-rule={i.rule} data-status={i.status}>
                        <td><SeverityBadge severity={i.severity} /></td>
                        <td>
                          <Link to={`/incidents/${i.id}`} className="strong">{i.title || i.rule}</Link>
                          <div className="muted small">{i.rule}{i.silenced ? ' · silenced' : ''}</div>
                        </td>
                        <td className="mono">{i.target}</td>
                        <td><Status status={i.status} /></td>
                        <td className="hide-sm" title={clock(i.openedAt)}>{age(i.openedAt, now)}</td>
                        <td className="hide-sm">{duration((i.resolvedAt ?? now) - i.openedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager total={d.total} offset={offset} size={PAGE} />
            </>
          )}
        </Loaded>
      </Card>
    </div>
  );
}

function Filters({ f }: { f: Record<'status' | 'severity' | 'rule' | 'target' | 'range', string> }) {
  // Text filters apply on submit (Enter), so typing does not fetch on every key.
  const [rule, setRule] = useState(f.rule);
  const [target, setTarget] = useState(f.target);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ rule: rule.trim(), target: target.trim(), offset: '' });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter incidents">
      <label>Status
        <select value={f.status} onChange={(e) => setQuery({ status: e.target.value, offset: '' })}>
          {STATUS_CHOICES.map(([v, l]) => <option key={l} value={v}>{l}</option>)}
        </select>
      </label>
      <label>Severity
        <select value={f.severity} onChange={(e) => setQuery({ severity: e.target.value, offset: '' })}>
          <option value="">Any</option>
          {SEVERITIES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </label>
      <label>Rule<input value={rule} onChange={(e) => setRule(e.target.value)} onBlur={submit} placeholder="any rule" /></label>
      <label>Target<input value={target} onChange={(e) => setTarget(e.target.value)} onBlur={submit} placeholder="any target" /></label>
      <label>Time range
        <select value={f.range} onChange={(e) => setQuery({ range: e.target.value, offset: '' })}>
          {RANGES.map(([v, l]) => <option key={l} value={v}>{l}</option>)}
        </select>
      </label>
      <button type="submit" className="visually-hidden">Apply filters</button>
    </form>
  );
}

export function Pager({ total, offset, size }: { total: number; offset: number; size: number }) {
  if (total <= size) return <p className="muted small pager">{total} {total === 1 ? 'item' : 'items'}</p>;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted small">{offset + 1}–{Math.min(total, offset + size)} of {total}</span>
      <button type="button" className="btn" disabled={offset === 0} onClick={() => setQuery({ offset: String(Math.max(0, offset - size)) })}>Newer</button>
      <button type="button" className="btn" disabled={offset + size >= total} onClick={() => setQuery({ offset: String(offset + size) })}>Older</button>
    </nav>
  );
}
