/**
 * Sliding-window counters for rate limits and blast radius, and cooldowns.
 * Pure: the engine keeps the arrays and passes the time in.
 */
export interface Hit {
  readonly at: number;
  readonly target: string;
  readonly runbook: string;
  readonly automatic: boolean;
  /** The replica of the target's group the execution was for, when its incident named one. */
  readonly replica?: string | null;
}

/**
 * Hits in the window ending now. A hit "from the future" (the clock stepped
 * back since it was recorded) still counts: for limits, forgetting a recent
 * run is the unsafe mistake.
 */
export function hitsWithin(hits: readonly Hit[], now: number, windowMs: number, pred: (h: Hit) => boolean = () => true): Hit[] {
  return hits.filter((h) => h.at > now - windowMs && pred(h));
}

/** Drops hits older than the longest window anyone asks about. */
export function pruneHits(hits: readonly Hit[], now: number, keepMs: number): Hit[] {
  return hits.filter((h) => h.at > now - keepMs);
}

export interface LimitCheck {
  readonly ok: boolean;
  readonly reason: string;
  /** When the limit frees up again. */
  readonly retryAt: number | null;
}

export function checkLimit(hits: readonly Hit[], now: number, windowMs: number, max: number, what: string): LimitCheck {
  const inWindow = hitsWithin(hits, now, windowMs);
  if (inWindow.length < max) return { ok: true, reason: '', retryAt: null };
  // Free again once all but max-1 of them have left the window (manual runs can push the count past max).
  const times = inWindow.map((h) => h.at).sort((a, b) => a - b);
  const leaving = times[inWindow.length - max];
  return { ok: false, reason: `rate limit: ${what} (${inWindow.length}/${max})`, retryAt: max > 0 && leaving !== undefined ? leaving + windowMs : null };
}

/**
 * Distinct targets a runbook touched in the window. Inside a replica group each
 * replica counts on its own ("web replica 2"), so restarting a group replica by
 * replica meets the cap as restarting a fleet target by target does.
 */
export function blastRadius(hits: readonly Hit[], now: number, windowMs: number, runbook: string): string[] {
  return [...new Set(hitsWithin(hits, now, windowMs, (h) => h.runbook === runbook).map((h) => touchedUnit(h.target, h.replica)))];
}

/** What the blast radius counts: a target, or one replica of it. */
export function touchedUnit(target: string, replica: string | null | undefined): string {
  return replica === null || replica === undefined ? target : `${target} replica ${replica}`;
}
