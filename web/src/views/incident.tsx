import { useEffect, useState } from 'react';
import { get } from '../api';
import { LineChart } from '../components/charts';
import { execDuration, strategyName } from '../components/execution';
import { Card, Empty, ErrorState, KeyValues, Loaded, NotAvailable, SeverityBadge, Status } from '../components/ui';
import { age, clock, duration, num, words } from '../format';
import { useLiveTick, useNow } from '../live';
import { Link } from '../router';
import type { ExecutionDetail, IncidentDetail, Series, StepRecord, TimelineEntry } from '../types';
import { useApi } from '../use-api';

const AROUND_MS = 5 * 60_000;

export function IncidentPage({ id }: { id: string }) {
  const inc = useApi<IncidentDetail>(`/incidents/${encodeURIComponent(id)}`, ['incident', 'execution', 'step']);
  const now = useNow(5000);
  return (
    <div className="page">
      <div className="page-head"><Link to="/incidents" className="back">← Incidents</Link></div>
      {inc.error?.status === 404 && !inc.error.notAvailable ? (
        <Empty title={`No incident ${id}`} hint={<Link to="/incidents">Back to the incident list</Link>} />
      ) : (
        <Loaded state={inc} what="the incident">
          {(d) => (
            <>
              <div className="page-head">
                <h1><SeverityBadge severity={d.severity} /> {d.title || d.rule}</h1>
                <Status status={d.status} />
              </div>
              <div className="grid detail-grid">
                <Card title="Details">
                  <KeyValues rows={[
                    ['Rule', d.rule], ['Target', <span className="mono">{d.target}</span>], ['Value', num(d.value)],
                    ['Opened', `${clock(d.openedAt)} (${age(d.openedAt, now)})`],
                    ['Resolved', d.resolvedAt ? `${clock(d.resolvedAt)} after ${duration(d.resolvedAt - d.openedAt)}` : 'not yet'],
                    ['Source', d.source + (d.silenced ? ' · silenced' : '')], ['ID', <span className="mono small">{d.id}</span>],
                    ...Object.entries(d.labels).map(([k, v]): [string, string] => [k, v]),
                  ]} />
                </Card>
                <Card title="Signals around the incident" className="span-2">
                  <Signals id={d.id} from={d.openedAt} to={d.resolvedAt} />
                </Card>
                <Card title="Timeline" className="span-3">
                  <Timeline entries={d.timeline} executions={d.executions.map((e) => e.id)} now={now} />
                  {d.executions.length > 0 && (
                    <div className="exec-summary">
                      {d.executions.map((e) => (
                        <div key={e.id} className="muted small">
                          <Link to={`/executions?id=${e.id}`}>{e.runbook}</Link> · <Status status={e.status} /> · strategy {strategyName(e)} · {execDuration(e, now)} · {e.reason}
                        </div>
                      ))}
                    </div>
                  )}
                </Card>
              </div>
            </>
          )}
        </Loaded>
      )}
    </div>
  );
}

function Signals({ id, from, to }: { id: string; from: number; to: number | null }) {
  const s = useApi<{ series: Series[] }>(`/incidents/${id}/signals?before=${AROUND_MS}&after=${AROUND_MS}`, to ? [] : ['incident']);
  if (s.error?.notAvailable) return <NotAvailable what="signal history" />;
  return (
    <Loaded state={s} what="signals" empty={(d) => d.series.length === 0 ? <Empty title="No signal history for this target" hint="Signals are kept for the windows the rules read; older incidents may have none left." /> : null}>
      {(d) => (
        // One small chart per signal: their scales differ too much to share an axis (a status code beside a 0/1 flag).
        <div className="multiples">
          {d.series.slice(0, 8).map((x) => (
            <div key={x.name} className="multiple">
              <div className="multiple-head"><span className="mono small">{x.name}</span><span className="small strong">{num(x.points[x.points.length - 1]?.value)}</span></div>
              <LineChart label={`${x.name} around the incident`} lines={[x]} mark={{ from, to }} height={84} />
            </div>
          ))}
        </div>
      )}
    </Loaded>
  );
}

type Row = { at: number; key: string; kind: string; title: string; body?: string | null; error?: string | null; status?: string; took?: number | null };

/** Detected, decided (with the reason), each step with output and timing, verified, rolled back, resolved: one list, in time order. */
function Timeline({ entries, executions, now }: { entries: readonly TimelineEntry[]; executions: readonly string[]; now: number }) {
  const steps = useSteps(executions);
  const rows: Row[] = [
    ...entries.map((e): Row => ({ at: e.at, key: `t${e.id}`, kind: e.kind, title: e.message })),
    ...(steps.data ?? []).map((s): Row => ({
      at: s.startedAt ?? 0, key: `s${s.executionId}-${s.seq}`, kind: s.phase === 'rollback' ? 'rolled_back' : s.phase === 'step' ? 'step' : s.phase,
      title: s.phase === 'step' || s.phase === 'rollback' ? `${s.name} (${s.action})` : s.name === s.phase ? s.action : s.name, body: s.output, error: s.error, status: s.status, took: s.startedAt ? (s.finishedAt ?? now) - s.startedAt : null,
    })),
  ].filter((r) => r.at > 0).sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  if (rows.length === 0) return <Empty title="Nothing recorded yet" />;
  return (
    <>
      {steps.error && <ErrorState error={steps.error} what="the execution steps" />}
      <ol className="timeline" aria-label="Incident timeline" data-testid="timeline">
        {rows.map((r) => (
          <li key={r.key} className={`tl tl-${r.kind}`}>
            <span className="tl-dot" aria-hidden="true" />
            <div className="tl-main">
              <div className="tl-head">
                <span className="tl-kind">{words(r.kind)}</span>
                <span className="tl-title">{r.title}</span>
                {r.status && <Status status={r.status} />}
                <span className="right muted small">{clock(r.at)}{r.took !== undefined && r.took !== null ? ` · ${duration(r.took)}` : ''}</span>
              </div>
              {r.body && <pre className="output">{r.body}</pre>}
              {r.error && <pre className="output output-error">{r.error}</pre>}
            </div>
          </li>
        ))}
      </ol>
    </>
  );
}

function useSteps(ids: readonly string[]): { data: StepRecord[] | undefined; error: import('../api').ApiError | null } {
  const tick = useLiveTick(['step', 'execution']);
  const key = ids.join(',');
  const [state, setState] = useState<{ key: string; data: StepRecord[] | undefined; error: import('../api').ApiError | null }>({ key, data: undefined, error: null });
  useEffect(() => {
    let live = true;
    Promise.all(key ? key.split(',').map((id) => get<ExecutionDetail>(`/executions/${id}`)) : []).then(
      (xs) => live && setState({ key, data: xs.flatMap((x) => x.steps), error: null }),
      (error: import('../api').ApiError) => live && setState((s) => ({ ...s, key, error })),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return { data: state.data, error: state.error };
}
