import { describe, expect, it } from 'vitest';
import { activeSilenceFor, matcherIssues, matches, silenceState, type Silence } from '../../src/core/silence.js';

const labels = { rule: 'cpu-high', target: 'web-1', severity: 'P2', tier: 'web' };

function silence(over: Partial<Silence>): Silence {
  return { id: 's1', matchers: [{ label: 'tier', op: '=', value: 'web' }], startsAt: 1000, endsAt: 2000, createdBy: 'a', comment: 'c', createdAt: 0, ...over };
}

describe('silence matchers', () => {
  it('compare equal and not equal, a missing label reading as empty', () => {
    expect(matches({ label: 'tier', op: '=', value: 'web' }, labels)).toBe(true);
    expect(matches({ label: 'tier', op: '!=', value: 'web' }, labels)).toBe(false);
    expect(matches({ label: 'team', op: '!=', value: 'ops' }, labels)).toBe(true);
    expect(matches({ label: 'team', op: '=', value: '' }, labels)).toBe(true);
  });

  it('anchor regexes at both ends, like Alertmanager', () => {
    expect(matches({ label: 'target', op: '=~', value: 'web-.*' }, labels)).toBe(true);
    expect(matches({ label: 'target', op: '=~', value: 'web' }, labels)).toBe(false);
    expect(matches({ label: 'target', op: '=~', value: 'eb-1' }, labels)).toBe(false);
    expect(matches({ label: 'target', op: '=~', value: 'db|web-1' }, labels)).toBe(true);
    expect(matches({ label: 'severity', op: '!~', value: 'P[01]' }, labels)).toBe(true);
    expect(matches({ label: 'severity', op: '!~', value: 'P[12]' }, labels)).toBe(false);
  });

  it('name the matcher whose regex does not compile', () => {
    const issues = matcherIssues([{ label: 'rule', op: '=', value: 'x' }, { label: 'target', op: '=~', value: 'web-(' }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe('matchers[1].value');
    expect(issues[0]!.message).toMatch(/invalid regular expression "web-\("/);
  });

  it('refuse an empty list, a bad label name, and matchers that would silence everything', () => {
    expect(matcherIssues([])[0]!.field).toBe('matchers');
    expect(matcherIssues([{ label: '1x', op: '=', value: 'a' }])[0]!.field).toBe('matchers[0].label');
    expect(matcherIssues([{ label: 'rule', op: '=~', value: '.*' }])[0]!.message).toMatch(/silence everything/);
    expect(matcherIssues([{ label: 'rule', op: '=~', value: '.+' }])).toEqual([]);
  });

  it('all matchers must match', () => {
    const s = silence({ matchers: [{ label: 'tier', op: '=', value: 'web' }, { label: 'severity', op: '=', value: 'P1' }] });
    expect(activeSilenceFor([s], labels, 1500)).toBeUndefined();
    expect(activeSilenceFor([s], { ...labels, severity: 'P1' }, 1500)).toBe(s);
  });
});

describe('silence state', () => {
  it('is pending before startsAt, active from startsAt, expired at endsAt', () => {
    const s = silence({});
    expect(silenceState(s, 999)).toBe('pending');
    expect(silenceState(s, 1000)).toBe('active');
    expect(silenceState(s, 1999)).toBe('active');
    expect(silenceState(s, 2000)).toBe('expired');
  });

  it('only an active silence applies', () => {
    const s = silence({});
    expect(activeSilenceFor([s], labels, 999)).toBeUndefined();
    expect(activeSilenceFor([s], labels, 1000)).toBe(s);
    expect(activeSilenceFor([s], labels, 2000)).toBeUndefined();
  });
});
