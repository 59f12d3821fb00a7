import { describe, expect, it } from 'vitest';
import { blastRadius, checkLimit, hitsWithin, pruneHits, type Hit } from '../../src/core/limits.js';
import { MIN } from './series.js';

const NOW = 10 * MIN;
const hit = (at: number, target = 'web', runbook = 'restart', automatic = true): Hit => ({ at, target, runbook, automatic });

describe('hitsWithin', () => {
  it('keeps hits in (now - window, now]: the window start is out, now is in', () => {
    const hits = [hit(NOW - MIN), hit(NOW - MIN + 1), hit(NOW)];
    expect(hitsWithin(hits, NOW, MIN).map((h) => h.at)).toEqual([NOW - MIN + 1, NOW]);
  });

  it('still counts hits stamped after now (the clock stepped back since)', () => {
    expect(hitsWithin([hit(NOW + 1)], NOW, MIN).map((h) => h.at)).toEqual([NOW + 1]);
  });

  it('applies the predicate', () => {
    const hits = [hit(NOW - 1, 'web'), hit(NOW - 2, 'db'), hit(NOW - 3, 'web')];
    expect(hitsWithin(hits, NOW, MIN, (h) => h.target === 'web').map((h) => h.at)).toEqual([NOW - 1, NOW - 3]);
  });
});

describe('pruneHits', () => {
  it('drops hits at or older than the longest window and keeps the rest in order', () => {
    const hits = [hit(NOW - 2 * MIN), hit(NOW - MIN), hit(NOW - MIN + 1), hit(NOW)];
    expect(pruneHits(hits, NOW, MIN).map((h) => h.at)).toEqual([NOW - MIN + 1, NOW]);
  });

  it('does not change the array it was given', () => {
    const hits = [hit(0), hit(NOW)];
    pruneHits(hits, NOW, MIN);
    expect(hits).toHaveLength(2);
  });
});

describe('checkLimit', () => {
  it('is ok below the maximum, with no reason and no retry time', () => {
    expect(checkLimit([hit(NOW - 10)], NOW, MIN, 2, '2 per minute')).toEqual({ ok: true, reason: '', retryAt: null });
  });

  it('blocks at the maximum and frees up when the oldest hit leaves the window', () => {
    const hits = [hit(NOW - 40_000), hit(NOW - 10_000)];
    expect(checkLimit(hits, NOW, MIN, 2, '2 per minute')).toEqual({
      ok: false, reason: 'rate limit: 2 per minute (2/2)', retryAt: NOW + 20_000,
    });
    // At retryAt the oldest hit is out of the window again.
    expect(checkLimit(hits, NOW + 20_000, MIN, 2, '2 per minute').ok).toBe(true);
  });

  it('ignores hits outside the window', () => {
    expect(checkLimit([hit(NOW - MIN), hit(NOW - 2 * MIN)], NOW, MIN, 1, '1 per minute').ok).toBe(true);
  });

  it('blocks everything when the maximum is 0', () => {
    expect(checkLimit([], NOW, MIN, 0, 'none')).toMatchObject({ ok: false, reason: 'rate limit: none (0/0)' });
  });

  it('gives the time the limit really frees up when manual runs pushed it over the maximum', () => {
    // Three hits against a max of 2 (manual runs count but are not held): after
    // the oldest leaves, two remain and the limit is still reached.
    const hits = [hit(NOW - 50_000), hit(NOW - 40_000), hit(NOW - 10_000)];
    const check = checkLimit(hits, NOW, MIN, 2, '2 per minute');
    expect(check.retryAt).toBe(NOW + 20_000);
  });
});

describe('blastRadius', () => {
  it('lists each target the runbook touched in the window once, in first-touched order', () => {
    const hits = [hit(NOW - 5, 'b'), hit(NOW - 4, 'a'), hit(NOW - 3, 'b'), hit(NOW - 2, 'c', 'other'), hit(NOW - MIN, 'old')];
    expect(blastRadius(hits, NOW, MIN, 'restart')).toEqual(['b', 'a']);
  });

  it('counts manual runs too', () => {
    expect(blastRadius([hit(NOW - 1, 'a', 'restart', false)], NOW, MIN, 'restart')).toEqual(['a']);
  });
});
