/** Inline SVG charts: enough for a gauge and a few lines, without a chart library. */
import { useEffect, useId, useRef, useState } from 'react';
import { clock, num, scoreBand } from '../format';

const ARC = 0.75; // the gauge is three quarters of a circle

export function Gauge({ value, label, size = 168 }: { value: number; label: string; size?: number }) {
  const r = 42;
  const c = 2 * Math.PI * r;
  const v = Math.max(0, Math.min(100, value));
  const band = scoreBand(v);
  return (
    <svg className={`gauge band-${band}`} viewBox="0 0 100 100" width={size} height={size} role="img" aria-label={`${label}: ${Math.round(v)} of 100`}>
      <circle className="gauge-track" cx="50" cy="50" r={r} strokeDasharray={`${c * ARC} ${c}`} transform="rotate(135 50 50)" />
      <circle className="gauge-value" cx="50" cy="50" r={r} strokeDasharray={`${(c * ARC * v) / 100} ${c}`} transform="rotate(135 50 50)" />
      <text x="50" y="53" textAnchor="middle" className="gauge-number" data-testid="health-score">{Math.round(v)}</text>
      <text x="50" y="68" textAnchor="middle" className="gauge-label">{band === 'good' ? 'healthy' : band === 'warn' ? 'degraded' : 'unhealthy'}</text>
    </svg>
  );
}

export function Meter({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(100, value));
  return (
    <div className="meter">
      <div className="meter-top"><span>{label}</span><strong>{Math.round(v)}</strong></div>
      <div className="meter-track" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v)}>
        <div className={`meter-fill band-${scoreBand(v)}`} style={{ width: `${v}%` }} />
      </div>
    </div>
  );
}

export interface Line { readonly name: string; readonly points: readonly { at: number; value: number }[] }

/**
 * Lines over time. `fixed` pins the y range (a score is 0..100); `mark` shades
 * a span (the incident), `thresholds` draw dashed levels.
 */
export function LineChart({ lines, height = 160, fixed, mark, thresholds = [], label }: {
  lines: readonly Line[];
  height?: number;
  fixed?: [number, number];
  mark?: { from: number; to: number | null };
  thresholds?: readonly { value: number; label: string }[];
  label: string;
}) {
  const id = useId();
  const W = useWidth(600);
  const H = height;
  const pad = { l: 36, r: 8, t: 8, b: 20 };
  const all = lines.flatMap((l) => l.points);
  if (all.length === 0) return <div className="chart-empty" ref={W.ref}>No data points yet.</div>;
  const t0 = Math.min(...all.map((p) => p.at), mark?.from ?? Infinity);
  const t1 = Math.max(...all.map((p) => p.at), mark?.to ?? -Infinity);
  let [y0, y1] = fixed ?? [Math.min(...all.map((p) => p.value), ...thresholds.map((t) => t.value)), Math.max(...all.map((p) => p.value), ...thresholds.map((t) => t.value))];
  if (!fixed) {
    const span = y1 - y0 || Math.abs(y1) || 1;
    y0 = y0 >= 0 && y0 - span * 0.1 < 0 ? 0 : y0 - span * 0.1;
    y1 += span * 0.1;
  }
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0 || 1)) * (W.px - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - (v - y0) / (y1 - y0 || 1)) * (H - pad.t - pad.b);
  const ticks = [y0, (y0 + y1) / 2, y1];
  // Enough digits that the three ticks read differently (0, 0.05, 0.1 rather than 0, 0.1, 0.1).
  const span = Math.abs(y1 - y0);
  const digits = span >= 20 ? 0 : span >= 2 ? 1 : span >= 0.2 ? 2 : 3;
  return (
    <figure className="chart" aria-label={label} ref={W.ref}>
      <svg viewBox={`0 0 ${W.px} ${H}`} width="100%" role="img" aria-labelledby={`${id}-t`}>
        <title id={`${id}-t`}>{label}</title>
        {ticks.map((v, i) => (
          <g key={i}>
            <line className="grid" x1={pad.l} x2={W.px - pad.r} y1={y(v)} y2={y(v)} />
            <text className="axis" x={pad.l - 4} y={y(v) + 3} textAnchor="end">{num(v, digits)}</text>
          </g>
        ))}
        {mark && <rect className="mark" x={x(mark.from)} width={Math.max(2, x(mark.to ?? t1) - x(mark.from))} y={pad.t} height={H - pad.t - pad.b} />}
        {thresholds.map((t) => (
          <g key={t.label}>
            <line className="threshold" x1={pad.l} x2={W.px - pad.r} y1={y(t.value)} y2={y(t.value)} />
            <text className="axis threshold-label" x={W.px - pad.r - 2} y={y(t.value) + 11} textAnchor="end">{t.label}</text>
          </g>
        ))}
        {lines.map((l, i) => (
          <polyline key={l.name} className={`series s${i % 6}`} fill="none" vectorEffect="non-scaling-stroke"
            points={l.points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')} />
        ))}
        <text className="axis" x={pad.l} y={H - 4}>{clock(t0)}</text>
        <text className="axis" x={W.px - pad.r} y={H - 4} textAnchor="end">{clock(t1)}</text>
      </svg>
      {lines.length > 1 && (
        <figcaption className="legend">
          {lines.map((l, i) => <span key={l.name}><i className={`swatch s${i % 6}`} aria-hidden="true" />{l.name}</span>)}
        </figcaption>
      )}
    </figure>
  );
}

/** The element's width in CSS pixels, so the SVG is drawn 1:1 and its text keeps its size. */
function useWidth(initial: number): { ref: (el: HTMLElement | null) => void; px: number } {
  const [px, setPx] = useState(initial);
  const observer = useRef<ResizeObserver | null>(null);
  useEffect(() => () => observer.current?.disconnect(), []);
  const ref = (el: HTMLElement | null) => {
    observer.current?.disconnect();
    if (!el) return;
    const measure = () => {
      const w = Math.round(el.getBoundingClientRect().width);
      if (w > 0) setPx((old) => (Math.abs(old - w) > 1 ? w : old));
    };
    measure();
    observer.current = new ResizeObserver(measure);
    observer.current.observe(el);
  };
  return { ref, px };
}
