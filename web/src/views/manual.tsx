import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { PlanView } from '../components/execution';
import { show } from '../format';
import { setQuery } from '../router';
import { needsRole, session } from '../session';
import type { Execution, PlanPreview, RunbookView } from '../types';
import { useApi } from '../use-api';

/** Manual remediation: preview the plan (a dry run that changes nothing) before it can run for real. */
export function ManualForm() {
  const runbooks = useApi<{ items: RunbookView[] }>('/runbooks');
  const [runbook, setRunbook] = useState('');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<{ key: string; plan: PlanPreview } | null>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const denied = needsRole(session.current(), 'operator');
  const key = `${runbook}\u0000${target}`;
  const previewed = preview?.key === key;

  const fail = (err: unknown, route: string) => setMsg({ ok: false, text: err instanceof ApiError && err.notAvailable ? `This engine does not offer ${route} yet.` : (err as Error).message });

  const dryRun = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      setPreview({ key, plan: await post<PlanPreview>('/plans', { runbook, target }) });
    } catch (err) {
      fail(err, 'plan previews (POST /plans)');
    } finally {
      setBusy(false);
    }
  };
  const run = async () => {
    setBusy(true);
    setMsg(null);
    try {
      const r = await post<{ verdict: { kind: string; reason: string }; execution: Execution | null }>('/executions', { runbook, target, reason: reason.trim() });
      if (r.execution) {
        setMsg({ ok: true, text: r.execution.status === 'awaiting_approval' ? 'Created; it waits for approval.' : `Started (${r.verdict.reason}).` });
        setQuery({ id: r.execution.id, status: '' });
        setPreview(null);
      } else setMsg({ ok: false, text: `Not run: ${r.verdict.reason}` });
    } catch (err) {
      fail(err, 'manual executions (POST /executions)');
    } finally {
      setBusy(false);
    }
  };

  const names = runbooks.data?.items.map((r) => r.name) ?? [];
  return (
    <form className="form" onSubmit={(e) => void dryRun(e)} aria-label="Run a runbook">
      <label htmlFor="m-runbook">Runbook</label>
      {names.length > 0 ? (
        <select id="m-runbook" value={runbook} onChange={(e) => setRunbook(e.target.value)} required disabled={!!denied}>
          <option value="">Choose a runbook…</option>
          {names.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      ) : (
        <input id="m-runbook" value={runbook} onChange={(e) => setRunbook(e.target.value)} required disabled={!!denied} placeholder="runbook name" />
      )}
      <label htmlFor="m-target">Target</label>
      <input id="m-target" value={target} onChange={(e) => setTarget(e.target.value)} required disabled={!!denied} placeholder="e.g. demo" />
      <label htmlFor="m-reason">Reason</label>
      <input id="m-reason" value={reason} onChange={(e) => setReason(e.target.value)} disabled={!!denied} placeholder="Why you run it (audited)" />
      <div className="buttons">
        <button type="submit" className="btn" disabled={!!denied || busy || !runbook || !target}>Dry run</button>
        <button type="button" className="btn btn-primary" disabled={!!denied || busy || !previewed || !reason.trim()} onClick={() => void run()}
          title={previewed ? undefined : 'Do a dry run first: it shows what would run and changes nothing.'}>Run for real</button>
      </div>
      {!previewed && !denied && <p className="muted small">A dry run shows the plan and changes nothing; running for real needs one first.</p>}
      {denied && <p className="denied small">{denied}</p>}
      {msg && <p className={msg.ok ? 'form-ok' : 'form-error'} role="status">{msg.text}</p>}
      {previewed && preview && (
        <div className="preview" aria-label="Dry run result">
          <p><strong>Verdict:</strong> {preview.plan.verdict.kind} — {preview.plan.verdict.reason}</p>
          <PlanView plan={preview.plan as unknown as Record<string, unknown>} compact />
          {preview.plan.dryRun !== undefined && <pre className="output">{show(preview.plan.dryRun)}</pre>}
        </div>
      )}
    </form>
  );
}
