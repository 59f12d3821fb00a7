/** How an execution and its plan read, shared by incidents, approvals and executions. */
import { clock, duration, show } from '../format';
import type { Execution, StepRecord } from '../types';
import { useApi } from '../use-api';
import type { ExecutionDetail } from '../types';
import { Loaded, Status } from './ui';

interface PlanStep { name?: string; action?: string; params?: unknown; rollback?: string | null; timeoutMs?: number }
interface PlanShape {
  description?: string;
  risk?: string;
  impact?: unknown;
  rollbackPlan?: unknown;
  strategies?: { name?: string; steps?: PlanStep[] }[];
  steps?: PlanStep[];
  verify?: { ruleCleared?: boolean; checks?: number; timeoutMs?: number };
}

/** The plan as a person reads it before approving: what will run, what it touches, how it is undone. */
export function PlanView({ plan, compact }: { plan: Readonly<Record<string, unknown>>; compact?: boolean }) {
  const p = plan as PlanShape;
  return (
    <div className="plan">
      {p.description && <p className="plan-desc">{p.description}</p>}
      <dl className="kv kv-wide">
        <div><dt>Risk</dt><dd><span className={`risk risk-${String(p.risk ?? 'unknown')}`}>{show(p.risk ?? 'not stated')}</span></dd></div>
        <div><dt>Impact</dt><dd className="pre">{show(p.impact ?? 'not stated')}</dd></div>
        <div><dt>Rollback plan</dt><dd className="pre">{show(p.rollbackPlan ?? 'not stated')}</dd></div>
        {p.verify && <div><dt>Verify</dt><dd>{p.verify.ruleCleared ? 'rule cleared' : ''}{p.verify.checks ? ` + ${p.verify.checks} check(s)` : ''} within {duration(p.verify.timeoutMs)}</dd></div>}
      </dl>
      {(p.strategies ?? (Array.isArray(p.steps) ? [{ name: '', steps: p.steps }] : [])).map((s, si) => (
        <div key={si} className="strategy">
          <h4>{s.name === '' ? 'Steps' : `${si === 0 ? 'Strategy' : `Fallback ${si}`}: ${s.name ?? `#${si + 1}`}`}</h4>
          <ol className="steps">
            {(s.steps ?? []).map((st, i) => (
              <li key={i}>
                <span className="strong">{st.name}</span> <code>{st.action}</code>
                {st.rollback && <span className="muted small"> · undo: <code>{st.rollback}</code></span>}
                {!compact && <Params params={st.params} />}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </div>
  );
}

export function stepTitle(s: StepRecord): string {
  if (s.phase === 'step') return s.name;
  return s.name === s.phase ? s.phase : `${s.phase}: ${s.name}`;
}

/** The steps that ran, with their output, error and timing. */
export function StepList({ steps }: { steps: readonly StepRecord[] }) {
  if (steps.length === 0) return <p className="muted small">No step has run.</p>;
  return (
    <ol className="step-list">
      {steps.map((s) => (
        <li key={s.seq} className={`step phase-${s.phase}`}>
          <div className="step-head">
            <Status status={s.status} />
            <span className="strong">{stepTitle(s)}</span>
            <code className="small">{s.action}</code>
            <span className="right muted small">{clock(s.startedAt)} · {s.startedAt ? duration((s.finishedAt ?? Date.now()) - s.startedAt) : 'not started'}{s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}</span>
          </div>
          {s.output && <pre className="output">{s.output}</pre>}
          {s.error && <pre className="output output-error">{s.error}</pre>}
        </li>
      ))}
    </ol>
  );
}

export function ExecutionSteps({ id }: { id: string }) {
  const d = useApi<ExecutionDetail>(`/executions/${id}`, ['step', 'execution']);
  return <Loaded state={d} what="the steps">{(x) => <StepList steps={x.steps} />}</Loaded>;
}

export function execDuration(e: Execution, now: number): string {
  if (!e.startedAt) return '—';
  return duration((e.finishedAt ?? now) - e.startedAt);
}

export function strategyName(e: Execution): string {
  const s = (e.plan as PlanShape).strategies?.[e.strategy];
  return s?.name ?? `#${e.strategy + 1}`;
}

/** Rendered step params as `name = value` lines (values as JSON, so strings show their quotes). */
function Params({ params }: { params: unknown }) {
  if (!params || typeof params !== 'object') return null;
  const entries = Object.entries(params as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <ul className="params">
      {entries.map(([k, v]) => <li key={k}><b>{k}</b> = {JSON.stringify(v)}</li>)}
    </ul>
  );
}
