import { formatDuration } from './duration.js';
import { clockTime } from './policy.js';

/**
 * The restart-loop guard, on top of the circuit breaker: a fix that verifies
 * every time but is needed again and again (a service that crashes two
 * seconds after each start) is not working. More than `max` fixes of one
 * runbook on one target within `withinMs` open that key's circuit, even when
 * every one of them succeeded (monit: "3 restarts within 5 cycles").
 */
export interface FlapLimit {
  readonly max: number;
  readonly withinMs: number;
}

/** A runbook's own `flap`, field by field over the policy's. */
export function flapLimit(policy: FlapLimit, own: { readonly max: number | null; readonly withinMs: number | null } | null): FlapLimit {
  return { max: own?.max ?? policy.max, withinMs: own?.withinMs ?? policy.withinMs };
}

/**
 * The fix times inside the window when one more fix would be more than `max`;
 * null while one more may run. Times after `now` (the clock stepped back)
 * count: they are recent, whatever the clock says.
 */
export function flapping(fixes: readonly number[], now: number, limit: FlapLimit): number[] | null {
  const recent = fixes.filter((t) => t > now - limit.withinMs).sort((a, b) => a - b);
  return recent.length >= limit.max ? recent : null;
}

/** The reason a person reads on the escalation and in the refusal. */
export function flapReason(key: string, times: readonly number[], limit: FlapLimit): string {
  return `restart loop: ${key} ran ${times.length} times within ${window(limit.withinMs)} `
    + `(at ${times.map(clockTime).join(', ')}); flap.max is ${limit.max}`;
}

/** "15m" rather than "15m0s": the window as a person wrote it, usually. */
function window(ms: number): string {
  return ms % 60_000 === 0 && ms > 0 ? `${ms / 60_000}m` : formatDuration(ms);
}
