import { useState } from 'react';
import { ApiError, post, qs } from '../api';
import { ExecutionSteps, PlanView, execDuration, strategyName } from '../components/execution';
import { Card, Empty, Loaded, SeverityBadge, Status } from '../components/ui';
import { age, clock } from '../format';
import { useNow } from '../live';
import { Link, setQuery, useLocation } from '../router';
import { needsRole, session } from '../session';
import type { Execution, Page } from '../types';
import { useApi } from '../use-api';
import { Pager } from './incidents';
import { ManualForm } from './manual';

const STATUSES = ['', 'running', 'awaiting_approval', 'held', 'succeeded', 'failed', 'rolled_back', 'rejected', 'dry_run', 'shadowed'];
const PAGE = 50;

export function Executions() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const runbook = query.get('runbook') ?? '';
  const open = query.get('id');
  const offset = Number(query.get('offset') ?? 0) || 0;
  const list = useApi<Page<Execution>>(`/executions${qs({ status, runbook, limit: PAGE, offset })}`, ['execution']);
  const now = useNow(2000);

  return (
    <div className="page">
      <div className="page-head"><h1>Executions</h1></div>
      <div className="grid exec-grid">
        <Card title="Timeline" className="span-2" actions={
          <div className="filters inline">
            <label>Status
              <select value={status} onChange={(e) => setQuery({ status: e.target.value, offset: '' })}>
                {STATUSES.map((s) => <option key={s} value={s}>{s ? s.replace(/_/g, ' ') : 'Any'}</option>)}
              </select>
            </label>
          </div>
        }>
          <Loaded state={list} what="executions" empty={(d) => d.items.length === 0 ? (
            <Empty title={status || runbook ? 'No executions match' : 'No executions yet'} hint={status || runbook ? 'Clear the status filter.' : 'Medic runs a runbook when a rule holds; you can also start one with the form.'} />) : null}>
            {(d) => (
              <>
                <ol className="exec-list" data-testid="executions">
                  {d.items.map((e) => <ExecutionRow key={e.id} e={e} now={now} open={open === e.id} />)}
                </ol>
                <Pager total={d.total} offset={offset} size={PAGE} />
              </>
            )}
          </Loaded>
        </Card>
        <Card title="Run a runbook"><ManualForm /></Card>
      </div>
    </div>
  );
}

function ExecutionRow({ e, now, open }: { e: Execution; now: number; open: boolean }) {
  const toggle = () => setQuery({ id: open ? '' : e.id });
  return (
    <li className={`exec ${open ? 'open' : ''}`} data-testid="execution-row" data-runbook={e.runbook} data-status={e.status}>
      <button type="button" className="exec-head" aria-expanded={open} onClick={toggle}>
        <Status status={e.status} />
        <SeverityBadge severity={e.severity} />
        <span className="strong">{e.runbook}</span>
        <span className="mono muted">{e.target}</span>
        <span className="right muted small">
          {e.dryRun ? 'dry run · ' : ''}
          {e.status === 'shadowed' && (e.shadowRepeats ?? 0) > 0 ? `would have run again ${e.shadowRepeats}× · ` : ''}strategy {strategyName(e)} · {execDuration(e, now)} · {age(e.createdAt, now)}
        </span>
      </button>
      {open && (
        <div className="exec-body">
          <p className="muted small">
            {e.reason} · requested by {e.requestedBy}{e.approvedBy ? ` · approved by ${e.approvedBy}` : ''} · created {clock(e.createdAt)}
            {e.incidentId && <> · <Link to={`/incidents/${e.incidentId}`}>incident</Link></>}
          </p>
          {e.error && <pre className="output output-error">{e.error}</pre>}
          <ExecutionSteps id={e.id} />
          {e.status === 'succeeded' && !e.dryRun && <Rollback e={e} />}
          {e.status === 'held' && <HeldDecision e={e} />}
          <details>
            <summary>Plan</summary>
            <PlanView plan={e.plan} />
          </details>
        </div>
      )}
    </li>
  );
}

/** An execution held after a crash: a step may or may not have run, and only a person can tell. */
function HeldDecision({ e }: { e: Execution }) {
  const [text, setText] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const denied = needsRole(session.current(), 'admin');
  const decide = async (path: 'resume' | 'abandon', body: Record<string, unknown>, done: string) => {
    setBusy(true);
    setMsg(null);
    try {
      await post(`/executions/${e.id}/${path}`, body);
      setMsg({ ok: true, text: done });
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const id = `held-${e.id}`;
  const comment = text.trim();
  return (
    <div className="rollback">
      <label htmlFor={id}>Held for a person: a step was running when the engine stopped and is not safe to repeat. Check the target, then decide.</label>
      <div className="row">
        <input id={id} value={text} onChange={(x) => setText(x.target.value)} placeholder="What you checked (required to abandon)" disabled={!!denied} />
        <button type="button" className="btn" disabled={!!denied || busy} onClick={() => void decide('resume', { assume_done: false, ...(comment ? { comment } : {}) }, 'Resumed: the step in doubt runs again.')}>Run the step again</button>
        <button type="button" className="btn" disabled={!!denied || busy} onClick={() => void decide('resume', { assume_done: true, ...(comment ? { comment } : {}) }, 'Resumed after the step in doubt.')}>It did run: go on</button>
        <button type="button" className="btn btn-danger" disabled={!!denied || busy || !comment} onClick={() => void decide('abandon', { reason: comment }, 'Abandoned: nothing more runs.')}>Abandon</button>
      </div>
      {denied && <p className="denied small">{denied}</p>}
      {msg && <p className={msg.ok ? 'form-ok' : 'form-error'} role="status">{msg.text}</p>}
    </div>
  );
}

function Rollback({ e }: { e: Execution }) {
  const [reason, setReason] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const denied = needsRole(session.current(), 'admin');
  const go = async () => {
    setBusy(true);
    setMsg(null);
    try {
      await post(`/executions/${e.id}/rollback`, { reason: reason.trim() });
      setMsg({ ok: true, text: 'Rollback started; the steps above update live.' });
    } catch (err) {
      setMsg({ ok: false, text: err instanceof ApiError && err.notAvailable ? 'This engine cannot roll back from the API yet (POST /executions/:id/rollback).' : (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const id = `rb-${e.id}`;
  return (
    <div className="rollback">
      <label htmlFor={id}>Roll back this execution</label>
      <div className="row">
        <input id={id} value={reason} onChange={(x) => setReason(x.target.value)} placeholder="Reason (required)" disabled={!!denied} />
        <button type="button" className="btn btn-danger" disabled={!!denied || busy || !reason.trim()} onClick={() => void go()}>{busy ? 'Rolling back…' : 'Roll back'}</button>
      </div>
      {denied && <p className="denied small">{denied}</p>}
      {msg && <p className={msg.ok ? 'form-ok' : 'form-error'} role="status">{msg.text}</p>}
    </div>
  );
}
