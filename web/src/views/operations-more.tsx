import { useState, type FormEvent } from 'react';
import { ApiError, patch, qs } from '../api';
import { Card, Empty, Loaded, SeverityBadge, Status } from '../components/ui';
import { clock, duration, num, show } from '../format';
import { Link, setQuery, useLocation } from '../router';
import { needsRole, session } from '../session';
import type { AuditEntry, Page, RuleView, RunbookView, Settings } from '../types';
import { useApi } from '../use-api';
import { Pager, RANGES, sinceOf } from './incidents';

export function RunbooksTab() {
  const r = useApi<{ items: RunbookView[] }>('/runbooks');
  return (
    <Loaded state={r} what="runbooks" empty={(d) => d.items.length === 0 ? <Card><Empty title="No runbooks loaded" hint="Runbooks are YAML files in the directory the config names; `medic validate` checks them." /></Card> : null}>
      {(d) => (
        <div className="grid cards-3">
          {d.items.map((b) => (
            <Card key={b.name} title={b.name} actions={<span className={`pill ${b.valid ? 'pill-good' : 'pill-bad'}`}>{b.valid ? 'valid' : 'invalid'}</span>}>
              {b.description && <p>{b.description}</p>}
              <dl className="kv">
                <div><dt>Risk</dt><dd><span className={`risk risk-${String(b.risk)}`}>{show(b.risk)}</span></dd></div>
                <div><dt>Approval</dt><dd>{show(b.approval)}</dd></div>
                {b.file && <div><dt>File</dt><dd className="mono small" title={b.file}>{b.file.split('/').pop()}</dd></div>}
              </dl>
              {b.strategies.map((s, i) => (
                <div key={i} className="strategy">
                  <h4>{s.name}</h4>
                  <ol className="steps">{s.steps.map((st, j) => <li key={j}>{st.name} <code>{st.action}</code></li>)}</ol>
                </div>
              ))}
            </Card>
          ))}
        </div>
      )}
    </Loaded>
  );
}

export function RulesTab() {
  const r = useApi<{ items: RuleView[] }>('/rules', ['incident']);
  return (
    <Card title="Rules" actions={<span className="muted small">Current values per target against the thresholds.</span>}>
      <Loaded state={r} what="rules" empty={(d) => d.items.length === 0 ? <Empty title="No rules" hint="Rules come from the config file, or from POST /api/v1/rules." /> : null}>
        {(d) => (
          <div className="table-wrap">
            <table className="table">
              <thead><tr><th>Rule</th><th>Thresholds</th><th>Now</th><th className="hide-sm">Runbooks</th></tr></thead>
              <tbody>
                {d.items.map((x) => (
                  <tr key={x.name}>
                    <td><span className="strong">{x.name}</span>{x.source === 'api' && <span className="pill pill-muted">api</span>}<div className="muted small">{x.description}</div></td>
                    <td>{x.bands.map((b, i) => <div key={i} className="band"><SeverityBadge severity={b.severity} /> <code className="small">{b.condition ?? (b.threshold !== undefined ? `> ${b.threshold}` : '')}</code></div>)}</td>
                    <td className="nowrap">
                      {x.current.length === 0 ? <span className="muted">no data</span> : x.current.map((c) => (
                        <div key={c.target} className={c.holding ? (c.phase === 'pending' ? 'tone-warn' : 'tone-bad') : ''}>
                          <span className="mono">{c.target}</span> {num(c.value)} {c.holding
                            ? <>· {c.phase === 'pending' ? 'holds, waiting out its for:' : 'firing'} {c.severity && <SeverityBadge severity={c.severity} />}</>
                            : <span className="muted">· ok</span>}
                        </div>
                      ))}
                    </td>
                    <td className="hide-sm small">{(x.runbooks ?? []).map((r) => <div key={r} className="nowrap">{r}</div>)}{(x.runbooks ?? []).length === 0 && '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </Card>
  );
}

export function SettingsTab() {
  const s = useApi<Settings>('/settings', ['setting']);
  const denied = needsRole(session.current(), 'superadmin');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const change = async (p: Record<string, unknown>, what: string) => {
    setMsg(null);
    try {
      await patch('/settings', p);
      setMsg({ ok: true, text: `${what}: saved and applied.` });
      s.reload();
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  return (
    <Card title="Settings">
      <Loaded state={s} what="settings">
        {(d) => (
          <div className="settings">
            <div className="setting">
              <div>
                <strong id="ks-l">Auto-remediation (kill switch)</strong>
                <p className="muted small">Off: Medic still detects and records, and runs nothing by itself.</p>
              </div>
              <button type="button" role="switch" aria-checked={d.autoRemediation} aria-labelledby="ks-l" className={`switch ${d.autoRemediation ? 'on' : ''}`}
                disabled={!!denied} onClick={() => void change({ autoRemediation: !d.autoRemediation }, `Auto-remediation ${d.autoRemediation ? 'off' : 'on'}`)}>
                <span />
              </button>
            </div>
            <div className="setting">
              <div>
                <strong id="mode-l">Mode</strong>
                <p className="muted small">Shadow: decides and records what it would do, runs nothing.</p>
              </div>
              <div className="segmented" role="group" aria-labelledby="mode-l">
                {(['active', 'shadow'] as const).map((m) => (
                  <button key={m} type="button" aria-pressed={d.mode === m} disabled={!!denied} onClick={() => void change({ mode: m }, `Mode ${m}`)}>{m}</button>
                ))}
              </div>
            </div>
            {d.rateLimits && <RateLimits d={d} denied={denied} change={change} />}
            {d.ruleThresholds && <Thresholds d={d} denied={denied} change={change} />}
            {denied && <p className="denied small">{denied} Changing settings is for superadmins.</p>}
            {msg && <p className={msg.ok ? 'form-ok' : 'form-error'} role="status">{msg.text}</p>}
          </div>
        )}
      </Loaded>
    </Card>
  );
}

function RateLimits({ d, denied, change }: { d: Settings; denied: string | null; change: (p: Record<string, unknown>, what: string) => Promise<void> }) {
  const rl = d.rateLimits ?? { globalPerMinute: 0, globalPerHour: 0, perTargetPerHour: 0 };
  const [v, setV] = useState({ ...rl, cooldownS: Math.round((d.cooldownMs ?? 0) / 1000) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void change({ rateLimits: { globalPerMinute: v.globalPerMinute, globalPerHour: v.globalPerHour, perTargetPerHour: v.perTargetPerHour }, cooldownMs: v.cooldownS * 1000 }, 'Limits');
  };
  const field = (k: keyof typeof v, label: string) => (
    <label>{label}<input type="number" min={0} value={v[k]} disabled={!!denied} onChange={(e) => setV({ ...v, [k]: Number(e.target.value) })} /></label>
  );
  return (
    <form className="form limits" onSubmit={submit} aria-label="Rate limits">
      <strong>Rate limits and cooldown</strong>
      <div className="row wrap">
        {field('globalPerMinute', 'Per minute (all)')}
        {field('globalPerHour', 'Per hour (all)')}
        {field('perTargetPerHour', 'Per hour per target')}
        {field('cooldownS', 'Cooldown (s)')}
      </div>
      <button type="submit" className="btn" disabled={!!denied}>Save limits</button>
      <p className="muted small">Now: {rl.globalPerMinute}/min, {rl.globalPerHour}/h, {rl.perTargetPerHour}/h per target, cooldown {duration(d.cooldownMs)}.</p>
    </form>
  );
}

/** Each rule's numeric bands, editable; a band without a number (a non-comparison condition) is shown, not edited. */
function Thresholds({ d, denied, change }: { d: Settings; denied: string | null; change: (p: Record<string, unknown>, what: string) => Promise<void> }) {
  const rules = Object.entries(d.ruleThresholds ?? {});
  const [edits, setEdits] = useState<Record<string, string>>({});
  if (rules.length === 0) return null;
  const key = (rule: string, i: number) => `${rule}\u0000${i}`;
  const save = (rule: string, bands: { severity: string; threshold: number | null }[]) => {
    const next = bands.map((b, i) => ({ severity: b.severity, threshold: Number(edits[key(rule, i)] ?? b.threshold) }))
      .filter((b, i) => bands[i]?.threshold !== null && Number.isFinite(b.threshold));
    void change({ ruleThresholds: { [rule]: next } }, `Thresholds of ${rule}`).then(() => setEdits({}));
  };
  return (
    <div className="limits">
      <strong>Rule thresholds</strong>
      <div className="table-wrap">
        <table className="table">
          <thead><tr><th>Rule</th><th>Bands</th><th /></tr></thead>
          <tbody>
            {rules.map(([rule, bands]) => (
              <tr key={rule}>
                <td className="strong">{rule}</td>
                <td>
                  <div className="row wrap">
                    {bands.map((b, i) => (
                      <label key={i} className="band-edit">
                        <SeverityBadge severity={b.severity} />
                        {b.threshold === null ? <span className="muted small">no number</span> : (
                          <input type="number" aria-label={`${rule} ${b.severity} threshold`} value={edits[key(rule, i)] ?? String(b.threshold)} disabled={!!denied}
                            onChange={(e) => setEdits({ ...edits, [key(rule, i)]: e.target.value })} />
                        )}
                      </label>
                    ))}
                  </div>
                </td>
                <td className="right">
                  {bands.some((b) => b.threshold !== null) && (
                    <button type="button" className="btn" disabled={!!denied || !bands.some((_, i) => edits[key(rule, i)] !== undefined)} onClick={() => save(rule, bands)}>Save</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

const AUDIT_PAGE = 50;

/** An audit subject that is an incident or an execution links to it. */
function Subject({ id }: { id: string }) {
  if (/^inc_[a-z0-9]+$/.test(id)) return <Link to={`/incidents/${id}`}>{id}</Link>;
  if (/^exe_[a-z0-9]+$/.test(id)) return <Link to={`/executions?id=${id}`}>{id}</Link>;
  return <>{id}</>;
}

export function AuditLog() {
  const { query } = useLocation();
  const f = { kind: query.get('kind') ?? '', actor: query.get('actor') ?? '', subject: query.get('subject') ?? '', range: query.get('range') ?? '' };
  const offset = Number(query.get('offset') ?? 0) || 0;
  const list = useApi<Page<AuditEntry>>(`/audit${qs({ kind: f.kind, actor: f.actor, subject: f.subject, since: sinceOf(f.range), limit: AUDIT_PAGE, offset })}`);
  const verify = useApi<{ ok: boolean; checked: number; firstBad: number | null }>('/audit/verify');
  const [draft, setDraft] = useState(f);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setQuery({ kind: draft.kind.trim(), actor: draft.actor.trim(), subject: draft.subject.trim(), range: draft.range, offset: '' });
  };
  return (
    <Card title="Audit log" actions={
      verify.data ? <span className={`pill ${verify.data.ok ? 'pill-good' : 'pill-bad'}`} data-testid="chain">{verify.data.ok ? `Hash chain intact (${verify.data.checked} entries)` : `Chain broken at #${verify.data.firstBad}`}</span>
        : <span className="pill pill-muted">{verify.error ? 'chain status not available' : 'checking chain…'}</span>
    }>
      <form className="filters" onSubmit={submit} aria-label="Search the audit log">
        <label>Kind<input value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })} placeholder="approval, execution…" /></label>
        <label>Actor<input value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} placeholder="engine, a token name" /></label>
        <label>Subject<input value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} placeholder="an incident or execution id" /></label>
        <label>Time range
          <select value={draft.range} onChange={(e) => setDraft({ ...draft, range: e.target.value })}>
            {RANGES.map(([v, l]) => <option key={l} value={v}>{l}</option>)}
          </select>
        </label>
        <button type="submit" className="btn">Search</button>
      </form>
      <Loaded state={list} what="the audit log" empty={(d) => d.items.length === 0 ? <Empty title="No audit entries match" hint="Widen the time range or clear a field." /> : null}>
        {(d) => (
          <>
            <div className="table-wrap">
              <table className="table audit">
                <thead><tr><th>#</th><th>When</th><th>Actor</th><th>Kind</th><th>Subject</th><th>Result</th><th className="hide-sm">Details</th></tr></thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.seq}>
                      <td className="muted">{a.seq}</td><td>{clock(a.at)}</td><td>{a.actor}</td><td>{a.kind}</td>
                      <td className="mono small"><Subject id={a.subject} /></td><td><Status status={a.result} /></td>
                      <td className="hide-sm"><code className="small clip" title={JSON.stringify(a.details)}>{JSON.stringify(a.details)}</code></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager total={d.total} offset={offset} size={AUDIT_PAGE} />
          </>
        )}
      </Loaded>
    </Card>
  );
}
