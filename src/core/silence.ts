/**
 * Silences (maintenance windows), matched like Alertmanager's: a silence holds
 * a list of matchers, all of which must match an incident's labels; it is
 * active from startsAt (inclusive) to endsAt (exclusive). Regex matchers are
 * anchored at both ends, as Alertmanager anchors them: `web.*` matches
 * `web-1`, not `my-web-1`. A label the incident does not have counts as the
 * empty string, so `team!=ops` matches an incident with no team label.
 *
 *   pending ──startsAt──► active ──endsAt (or expire)──► expired
 */
import { isLabelName, MATCH_OPS, matcher, matches, type MatchOp } from './matchers.js';

export { matches } from './matchers.js';
export const MATCHER_OPS = MATCH_OPS;
export type MatcherOp = MatchOp;

/** A matcher as a silence stores it: plain data, the regex compiled when matched. */
export interface SilenceMatcher {
  readonly label: string;
  readonly op: MatcherOp;
  readonly value: string;
}

export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly createdAt: number;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}

/** Problems with a matcher list, each naming the matcher (`matchers[1].value`); empty when valid. */
export function matcherIssues(matchers: readonly SilenceMatcher[]): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  if (matchers.length === 0) issues.push({ field: 'matchers', message: 'needs at least one matcher (a silence of everything is the kill switch)' });
  matchers.forEach((m, i) => {
    const at = `matchers[${i}]`;
    if (!isLabelName(m.label)) issues.push({ field: `${at}.label`, message: `'${m.label}' is not a label name ([A-Za-z_][A-Za-z0-9_]*)` });
    if (!(MATCHER_OPS as readonly string[]).includes(m.op)) issues.push({ field: `${at}.op`, message: `'${m.op}' is not one of ${MATCHER_OPS.join(' ')}` });
    if (m.op === '=~' || m.op === '!~') {
      try {
        matcher(m.label, m.op, m.value);
      } catch (err) {
        issues.push({ field: `${at}.value`, message: (err as Error).message });
      }
    }
  });
  // Like Alertmanager: a silence whose matchers all match the empty string would silence every incident.
  if (matchers.length > 0 && issues.length === 0 && matchers.every((m) => matches(m, {}))) {
    issues.push({ field: 'matchers', message: 'every matcher matches an empty label set: this would silence everything; name at least one label value' });
  }
  return issues;
}

export function silenceMatches(s: Pick<Silence, 'matchers'>, labels: Readonly<Record<string, string>>): boolean {
  return s.matchers.every((m) => matches(m, labels));
}

/** The first silence active at `now` that matches the labels, if any. */
export function activeSilenceFor<S extends Silence>(silences: readonly S[], labels: Readonly<Record<string, string>>, now: number): S | undefined {
  return silences.find((s) => silenceState(s, now) === 'active' && silenceMatches(s, labels));
}
