import type { Condition } from './condition.js';
import type { Severity } from './severity.js';

/**
 * Rule thresholds changed at run time. A band whose condition is one
 * comparison (`value` + `bands`, or a single `condition`) has one threshold a
 * person can move; a band that combines several (`all`/`any`) has none, and
 * shows `threshold: null`. Overrides are kept per rule and severity, apart
 * from the rules, so a rule reloaded or edited keeps its person-set values
 * only where the band still exists.
 */
export interface BandThreshold {
  readonly severity: Severity;
  readonly threshold: number | null;
}

export type ThresholdOverrides = Readonly<Record<string, Readonly<Partial<Record<Severity, number>>>>>;

interface BandLike {
  readonly severity: Severity;
  readonly condition: Condition;
}

export function bandThresholds(bands: readonly BandLike[]): BandThreshold[] {
  return bands.map((b) => ({ severity: b.severity, threshold: b.condition.kind === 'compare' ? b.condition.threshold : null }));
}

/** The bands with their thresholds replaced where an override names their severity and they have one. */
export function withThresholds<B extends BandLike>(bands: readonly B[], overrides: Readonly<Partial<Record<Severity, number>>> | undefined): B[] {
  if (!overrides) return [...bands];
  return bands.map((b) => {
    const t = overrides[b.severity];
    if (t === undefined || b.condition.kind !== 'compare' || b.condition.threshold === t) return b;
    return { ...b, condition: { ...b.condition, threshold: t } };
  });
}

/** Why an override cannot apply to these bands, or null when it can. */
export function thresholdIssue(bands: readonly BandLike[], severity: Severity, threshold: unknown): string | null {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) return 'threshold must be a finite number';
  const band = bands.find((b) => b.severity === severity);
  if (!band) return `the rule has no ${severity} band (bands: ${bands.map((b) => b.severity).join(', ') || 'none'})`;
  if (band.condition.kind !== 'compare') return `the ${severity} band combines several conditions (${band.condition.kind}); it has no single threshold to change`;
  return null;
}
