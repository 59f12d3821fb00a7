import { bandThresholds, thresholdIssue, type BandThreshold, type ThresholdOverrides } from '../core/thresholds.js';
import { isSeverity, type Severity } from '../core/severity.js';
import type { CompiledRule, PolicyConfig } from '../config/types.js';
import { OperationError } from '../core/operation-error.js';

/**
 * Settings a person changes at run time, without a restart: the kill switch,
 * the mode, the rate limits, the default cooldown and rule thresholds. They
 * are stored as one value (key 'runtime') and outlive restarts; what is not
 * set there comes from the config file.
 */
export interface RateLimits {
  readonly globalPerMinute: number;
  readonly globalPerHour: number;
  readonly perTargetPerHour: number;
}

export interface RuntimeSettings {
  readonly autoRemediation: boolean;
  readonly mode: 'active' | 'shadow';
  readonly rateLimits: RateLimits;
  readonly cooldownMs: number;
  /** Person-set thresholds per rule and severity, over the rules' own. */
  readonly thresholds: ThresholdOverrides;
}

export interface SettingsView {
  readonly autoRemediation: boolean;
  readonly mode: 'active' | 'shadow';
  readonly rateLimits: RateLimits;
  readonly cooldownMs: number;
  /** Every rule's bands as the detector uses them now (threshold null: a combined band, not changeable). */
  readonly ruleThresholds: Record<string, BandThreshold[]>;
}

export interface SettingsPatch {
  readonly autoRemediation?: boolean;
  readonly mode?: 'active' | 'shadow';
  readonly rateLimits?: Partial<RateLimits>;
  readonly cooldownMs?: number;
  /** Only the bands named change; others keep their threshold. */
  readonly ruleThresholds?: Readonly<Record<string, readonly { readonly severity: Severity; readonly threshold: number }[]>>;
}

/** One changed value, for the audit and the 'setting:changed' event. */
export interface SettingChange {
  readonly key: string;
  readonly from: unknown;
  readonly to: unknown;
}

const RATE_KEYS = ['globalPerMinute', 'globalPerHour', 'perTargetPerHour'] as const;
const PATCH_KEYS = ['autoRemediation', 'mode', 'rateLimits', 'cooldownMs', 'ruleThresholds'] as const;
const MAX_RATE = 100_000;
const MAX_COOLDOWN_MS = 7 * 24 * 3_600_000;

export function initialSettings(policy: PolicyConfig): RuntimeSettings {
  return { autoRemediation: policy.autoRemediation, mode: policy.mode, rateLimits: policy.rateLimits, cooldownMs: policy.cooldownMs, thresholds: {} };
}

/** Stored settings over the config's; a stored value of the wrong shape is ignored, not trusted. */
export function restoreSettings(base: RuntimeSettings, stored: Record<string, unknown> | undefined): RuntimeSettings {
  if (!stored || typeof stored !== 'object') return base;
  const out = { ...base } as { -readonly [K in keyof RuntimeSettings]: RuntimeSettings[K] };
  if (typeof stored['autoRemediation'] === 'boolean') out.autoRemediation = stored['autoRemediation'];
  if (stored['mode'] === 'active' || stored['mode'] === 'shadow') out.mode = stored['mode'];
  const r = stored['rateLimits'];
  if (r && typeof r === 'object') {
    const rates = { ...base.rateLimits } as Record<string, number>;
    for (const k of RATE_KEYS) {
      const v = (r as Record<string, unknown>)[k];
      if (Number.isSafeInteger(v) && (v as number) >= 0) rates[k] = v as number;
    }
    out.rateLimits = rates as unknown as RateLimits;
  }
  if (Number.isSafeInteger(stored['cooldownMs']) && (stored['cooldownMs'] as number) >= 0) out.cooldownMs = stored['cooldownMs'] as number;
  const t = stored['thresholds'];
  if (t && typeof t === 'object') {
    const kept: Record<string, Partial<Record<Severity, number>>> = {};
    for (const [rule, bands] of Object.entries(t as Record<string, unknown>)) {
      if (!bands || typeof bands !== 'object') continue;
      const ok = Object.entries(bands as Record<string, unknown>).filter(([sev, v]) => isSeverity(sev) && typeof v === 'number' && Number.isFinite(v));
      if (ok.length > 0) kept[rule] = Object.fromEntries(ok) as Partial<Record<Severity, number>>;
    }
    out.thresholds = kept;
  }
  return out;
}

export function settingsView(s: RuntimeSettings, rules: readonly CompiledRule[]): SettingsView {
  return {
    autoRemediation: s.autoRemediation,
    mode: s.mode,
    rateLimits: { ...s.rateLimits },
    cooldownMs: s.cooldownMs,
    ruleThresholds: Object.fromEntries(rules.map((r) => [r.name, bandThresholds(r.bands)])),
  };
}

/**
 * Checks a patch against the rules as they are (before overrides: `base`)
 * and returns the new settings with the list of what changed. Throws
 * OperationError('bad_request') naming the first field that is wrong; then
 * nothing changes.
 */
export function applyPatch(current: RuntimeSettings, patch: unknown, base: readonly CompiledRule[]): { next: RuntimeSettings; changes: SettingChange[] } {
  const bad = (field: string, message: string): never => {
    throw new OperationError('bad_request', `${field}: ${message}`, { field });
  };
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) bad('settings', 'must be an object');
  const p = patch as Record<string, unknown>;
  for (const k of Object.keys(p)) if (!(PATCH_KEYS as readonly string[]).includes(k)) bad(k, `unknown setting (settings: ${PATCH_KEYS.join(', ')})`);
  const changes: SettingChange[] = [];
  let next: RuntimeSettings = current;
  const set = <K extends keyof RuntimeSettings>(key: string, field: K, value: RuntimeSettings[K], from: unknown, to: unknown) => {
    next = { ...next, [field]: value };
    if (from !== to) changes.push({ key, from, to });
  };

  if (p['autoRemediation'] !== undefined) {
    if (typeof p['autoRemediation'] !== 'boolean') bad('autoRemediation', 'must be true or false');
    set('autoRemediation', 'autoRemediation', p['autoRemediation'] as boolean, current.autoRemediation, p['autoRemediation']);
  }
  if (p['mode'] !== undefined) {
    if (p['mode'] !== 'active' && p['mode'] !== 'shadow') bad('mode', "must be 'active' or 'shadow'");
    set('mode', 'mode', p['mode'] as 'active' | 'shadow', current.mode, p['mode']);
  }
  if (p['rateLimits'] !== undefined) {
    const r = p['rateLimits'];
    if (typeof r !== 'object' || r === null || Array.isArray(r)) bad('rateLimits', 'must be an object');
    const rates = { ...current.rateLimits } as Record<string, number>;
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      if (!(RATE_KEYS as readonly string[]).includes(k)) bad(`rateLimits.${k}`, `unknown limit (limits: ${RATE_KEYS.join(', ')})`);
      if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_RATE) {
        bad(`rateLimits.${k}`, `must be a whole number from 0 to ${MAX_RATE} (0: no automatic runs at all)`);
      }
      if (rates[k] !== v) changes.push({ key: `rateLimits.${k}`, from: rates[k], to: v });
      rates[k] = v as number;
    }
    next = { ...next, rateLimits: rates as unknown as RateLimits };
  }
  if (p['cooldownMs'] !== undefined) {
    const v = p['cooldownMs'];
    if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_COOLDOWN_MS) bad('cooldownMs', `must be whole milliseconds from 0 to ${MAX_COOLDOWN_MS} (7 days)`);
    set('cooldownMs', 'cooldownMs', v as number, current.cooldownMs, v);
  }
  if (p['ruleThresholds'] !== undefined) {
    const t = p['ruleThresholds'];
    if (typeof t !== 'object' || t === null || Array.isArray(t)) bad('ruleThresholds', 'must be an object {rule: [{severity, threshold}]}');
    const overrides: Record<string, Partial<Record<Severity, number>>> = { ...current.thresholds };
    for (const [rule, bands] of Object.entries(t as Record<string, unknown>)) {
      const field = `ruleThresholds.${rule}`;
      const compiled = base.find((r) => r.name === rule);
      if (!compiled) bad(field, `no rule named '${rule}' (rules: ${base.map((r) => r.name).join(', ') || 'none'})`);
      if (!Array.isArray(bands)) bad(field, 'must be a list of {severity, threshold}');
      const own = { ...overrides[rule] };
      (bands as unknown[]).forEach((b, i) => {
        const at = `${field}[${i}]`;
        if (typeof b !== 'object' || b === null) bad(at, 'must be {severity, threshold}');
        const { severity, threshold, ...rest } = b as Record<string, unknown>;
        const extra = Object.keys(rest)[0];
        if (extra !== undefined) bad(`${at}.${extra}`, 'unknown field (fields: severity, threshold)');
        if (!isSeverity(severity)) bad(`${at}.severity`, 'must be one of P0, P1, P2, P3');
        const issue = thresholdIssue(compiled!.bands, severity as Severity, threshold);
        if (issue) bad(issue.startsWith('threshold') ? `${at}.threshold` : `${at}.severity`, issue);
        const band = compiled!.bands.find((x) => x.severity === severity)!;
        const from = own[severity as Severity] ?? (band.condition.kind === 'compare' ? band.condition.threshold : null);
        if (from !== threshold) changes.push({ key: `rules.${rule}.${String(severity)}.threshold`, from, to: threshold });
        own[severity as Severity] = threshold as number;
      });
      overrides[rule] = own;
    }
    next = { ...next, thresholds: overrides };
  }
  return { next, changes };
}

/** The settings without the thresholds set for one rule (changed or deleted), and those thresholds. */
export function dropThresholds(s: RuntimeSettings, rule: string): { next: RuntimeSettings; dropped: ThresholdOverrides[string] | undefined } {
  const { [rule]: dropped, ...rest } = s.thresholds;
  return { next: dropped ? { ...s, thresholds: rest } : s, dropped };
}
