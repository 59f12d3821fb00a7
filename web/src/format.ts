/** Human forms of times, durations and ratios. */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.5) return `${s < 9.95 ? s.toFixed(1) : Math.round(s)} s`;
  // Whole seconds first, so 59.7 s into a minute never reads "60 s".
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m} min ${whole % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function age(at: number | null | undefined, now: number): string {
  if (!at) return '—';
  const ms = Math.max(0, now - at);
  if (ms < 45_000) return `${Math.max(1, Math.round(ms / 1000))}s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m ago`;
  return `${Math.floor(ms / 86_400_000)}d ago`;
}

export function clock(at: number | null | undefined): string {
  if (!at) return '—';
  const d = new Date(at);
  const today = new Date();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

export function percent(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '—';
  return `${(r * 100).toFixed(r >= 0.995 || r === 0 ? 0 : 1)}%`;
}

export function num(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString() : String(Number(n.toFixed(digits)));
}

/** Colour band of a health score: green above 90, amber 70 to 90, red below 70. */
export function scoreBand(score: number): 'good' | 'warn' | 'bad' {
  return score > 90 ? 'good' : score >= 70 ? 'warn' : 'bad';
}

export function words(s: string): string {
  return s.replace(/_/g, ' ');
}

/** Compact text for an unknown JSON value (plans, details). */
export function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(show).join('\n');
  return JSON.stringify(v, null, 2);
}
