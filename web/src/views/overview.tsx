import { useApprovals } from '../approvals-data';
import { useState } from 'react';
import { Gauge, LineChart, Meter } from '../components/charts';
import { Card, Empty, Loaded, SeverityBadge, Status } from '../components/ui';
import { age, duration, percent } from '../format';
import { useNow } from '../live';
import { Link } from '../router';
import { COMPONENTS, SEVERITIES, type HealthScore, type Incident, type Page, type Stats } from '../types';
import { useApi } from '../use-api';

export const ACTIVE = 'open,remediating,awaiting_approval,escalated';

export function Overview() {
  return (
    <div className="page">
      <div className="page-head"><h1>Overview</h1></div>
      <div className="grid overview-grid">
        <HealthCard />
        <OpenIncidents />
        <StatsCard />
        <Waiting />
        <Recent />
      </div>
    </div>
  );
}

function HealthCard() {
  const h = useApi<HealthScore>('/health-score', ['incident', 'execution']);
  return (
    <Card title="Health score" className="health-card">
      <Loaded state={h} what="the health score">
        {(d) => (
          <div className="health">
            <div className="health-gauge"><Gauge value={d.score} label="Health score" /></div>
            <div className="health-components" aria-label="Component scores">
              {COMPONENTS.map((c) => <Meter key={c} label={c} value={d.components[c] ?? 100} />)}
            </div>
            <div className="health-trend">
              <h3 className="sub">Last 24 hours</h3>
              <LineChart label="Health score, last 24 hours" height={120} fixed={[0, 100]}
                lines={[{ name: 'score', points: d.series.map((p) => ({ at: p.at, value: p.score })) }]}
                thresholds={[{ value: 90, label: '90' }, { value: 70, label: '70' }]} />
            </div>
          </div>
        )}
      </Loaded>
    </Card>
  );
}

function OpenIncidents() {
  const open = useApi<Page<Incident>>(`/incidents?status=${ACTIVE}&limit=500`, ['incident']);
  return (
    <Card title="Open incidents" className="open-card" actions={<Link to={`/incidents?status=${ACTIVE}`}>View all</Link>}>
      <Loaded state={open} what="open incidents">
        {(d) => {
          const by = Object.fromEntries(SEVERITIES.map((s) => [s, d.items.filter((i) => i.severity === s).length]));
          return (
            <>
              <div className="sev-counts" data-testid="open-counts">
                {SEVERITIES.map((s) => (
                  <Link key={s} to={`/incidents?status=${ACTIVE}&severity=${s}`} className={`sev-count sev-${s.toLowerCase()} ${by[s] ? '' : 'zero'}`} aria-label={`${by[s]} open ${s}`}>
                    <span className="n">{by[s]}</span><span className="l">{s}</span>
                  </Link>
                ))}
              </div>
              <p className="muted small total-line">{d.total === 0 ? 'Nothing open. Medic is watching.' : `${d.total} open in total`}</p>
            </>
          );
        }}
      </Loaded>
    </Card>
  );
}

const WINDOWS = ['24h', '7d', '30d'] as const;

function StatsCard() {
  const [w, setW] = useState<(typeof WINDOWS)[number]>('24h');
  const s = useApi<Stats>(`/stats?window=${w}`, ['execution', 'incident']);
  return (
    <Card title="Remediation" className="stats-card" actions={
      <div className="segmented" role="group" aria-label="Time window">
        {WINDOWS.map((x) => <button key={x} type="button" aria-pressed={w === x} onClick={() => setW(x)}>{x}</button>)}
      </div>
    }>
      <Loaded state={s} what="remediation statistics">
        {(d) => (
          <div className="stats">
            <Stat label="Success rate" value={percent(d.successRate)} tone={d.successRate === null ? '' : d.successRate >= 0.9 ? 'good' : d.successRate >= 0.7 ? 'warn' : 'bad'} />
            <Stat label="MTTR (median)" value={duration(d.mttrMs?.median)} sub={d.mttrMs ? `p90 ${duration(d.mttrMs.p90)}` : undefined} />
            <Stat label="Executions" value={String(d.executed)} sub={`${d.succeeded} ok · ${d.failed} failed · ${d.rolledBack} rolled back`} />
            <Stat label="Detected" value={String(d.detected)} sub="problems" />
          </div>
        )}
      </Loaded>
    </Card>
  );
}

function Stat({ label, value, sub, tone }: { label: string; value: string; sub?: string | undefined; tone?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className={`stat-value ${tone ? `tone-${tone}` : ''}`}>{value}</div>
      {sub && <div className="stat-sub">{sub}</div>}
    </div>
  );
}

function Waiting() {
  const a = useApprovals();
  const now = useNow(5000);
  return (
    <Card title="Waiting for a person" className="waiting-card" actions={<Link to="/approvals">Approvals</Link>}>
      <Loaded state={a} what="approvals" empty={(d) => d.items.length === 0 ? <Empty title="No approvals waiting" hint="Risky fixes (P0/P1, high-risk runbooks) wait here for an admin." /> : null}>
        {(d) => (
          <ul className="list">
            {d.items.slice(0, 5).map((x) => (
              <li key={x.id}>
                <SeverityBadge severity={x.severity} />
                <Link to="/approvals">{x.runbook}</Link>
                <span className="muted">on {x.target}</span>
                <span className="right muted small">{age(x.createdAt, now)}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Card>
  );
}

function Recent() {
  const r = useApi<Page<Incident>>('/incidents?limit=6', ['incident']);
  const now = useNow(5000);
  return (
    <Card title="Latest incidents" actions={<Link to="/incidents">Incidents</Link>} className="recent-card">
      <Loaded state={r} what="incidents" empty={(d) => d.items.length === 0 ? <Empty title="No incidents yet" hint="When a rule holds for a target, its incident shows up here live." /> : null}>
        {(d) => (
          <ul className="list">
            {d.items.map((i) => (
              <li key={i.id}>
                <SeverityBadge severity={i.severity} />
                <Link to={`/incidents/${i.id}`}>{i.title || i.rule}</Link>
                <span className="muted">{i.target}</span>
                <span className="right"><Status status={i.status} /></span>
                <span className="muted small age">{age(i.openedAt, now)}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Card>
  );
}
