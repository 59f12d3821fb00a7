import { useApprovals } from '../approvals-data';
import { useState } from 'react';
import { ApiError, post } from '../api';
import { PlanView } from '../components/execution';
import { Card, Empty, Loaded, SeverityBadge } from '../components/ui';
import { age, clock, duration } from '../format';
import { useNow } from '../live';
import { Link } from '../router';
import { needsRole, session } from '../session';
import type { Approval } from '../types';

export function Approvals() {
  const a = useApprovals();
  return (
    <div className="page">
      <div className="page-head"><h1>Approvals</h1><p className="muted">Fixes that wait for a person before they run.</p></div>
      {a.degraded && <p className="stale" role="status">This engine has no approval queue route (GET /api/v1/approvals): the list comes from the executions, without escalation deadlines.</p>}
      <Loaded state={a} what="the approval queue" empty={(d) => d.items.length === 0 ? (
        <Card><Empty title="Nothing waits for approval" hint="Fixes for P0/P1 incidents and high-risk runbooks stop here until an admin approves them. This page updates live." /></Card>
      ) : null}>
        {(d) => <div className="stack">{d.items.map((x) => <ApprovalCard key={x.id} a={x} onDone={a.reload} />)}</div>}
      </Loaded>
    </div>
  );
}

function ApprovalCard({ a, onDone }: { a: Approval; onDone: () => void }) {
  const now = useNow(1000);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const denied = needsRole(session.current(), 'admin');
  const left = a.deadline ? a.deadline - now : null;

  const decide = async (what: 'approve' | 'reject') => {
    if (what === 'reject' && !comment.trim()) {
      setError('Say why you reject it: the reason goes to the audit log and the incident timeline.');
      return;
    }
    setBusy(what);
    setError(null);
    try {
      await post(`/executions/${a.id}/${what}`, what === 'approve' ? (comment.trim() ? { comment: comment.trim() } : {}) : { reason: comment.trim() });
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  const cid = `comment-${a.id}`;
  return (
    <div data-testid="approval" data-id={a.id}>
    <Card className="approval" title={<><SeverityBadge severity={a.severity} /> {a.runbook} <span className="muted">on</span> <span className="mono">{a.target}</span></>}
      actions={<span className={`countdown ${left !== null && left < 60_000 ? 'tone-bad' : ''}`} data-testid="time-left">
        {left === null ? 'no escalation deadline' : left > 0 ? `escalates in ${duration(left)}` : 'escalating now'}
      </span>}>
      <div className="approval-body">
        <div>
          <p className="why"><strong>Why it needs approval:</strong> {a.needsApprovalBecause || a.reason}</p>
          <p className="muted small">
            Requested by {a.requestedBy} {age(a.createdAt, now)} ({clock(a.createdAt)})
            {a.incidentId && <> · incident <Link to={`/incidents/${a.incidentId}`}>{a.incidentId}</Link></>}
          </p>
          <PlanView plan={a.plan} />
        </div>
        <div className="decide">
          <label htmlFor={cid}>Comment <span className="muted small">(required to reject)</span></label>
          <textarea id={cid} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} disabled={!!denied} placeholder="What you checked, or why not" />
          <div className="buttons">
            <button type="button" className="btn btn-primary" disabled={!!denied || busy !== null} aria-describedby={denied ? `${cid}-denied` : undefined} onClick={() => void decide('approve')}>
              {busy === 'approve' ? 'Approving…' : 'Approve'}
            </button>
            <button type="button" className="btn btn-danger" disabled={!!denied || busy !== null} aria-describedby={denied ? `${cid}-denied` : undefined} onClick={() => void decide('reject')}>
              {busy === 'reject' ? 'Rejecting…' : 'Reject'}
            </button>
          </div>
          {denied && <p id={`${cid}-denied`} className="denied small" data-testid="denied">{denied}</p>}
          {error && <p className="form-error" role="alert">{error}</p>}
        </div>
      </div>
    </Card>
    </div>
  );
}
