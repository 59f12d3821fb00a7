import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Component } from '../core/health.js';
import { describeCondition, evaluate } from '../core/evaluate.js';
import type { Severity } from '../core/severity.js';
import { withThresholds, type ThresholdOverrides } from '../core/thresholds.js';
import type { SeriesSource } from '../core/window.js';
import { compileRuleValue } from '../config/rule.js';
import type { CompiledRule } from '../config/types.js';
import type { CompiledRunbook } from '../runbooks/types.js';
import type { RuntimeRuleRecord, Store } from '../store/types.js';
import { OperationError } from '../core/operation-error.js';
import { componentOf } from '../views/stats.js';

export interface RuleView {
  readonly name: string;
  readonly source: 'file' | 'api';
  readonly description: string;
  readonly targets: readonly string[] | null;
  readonly bands: readonly { readonly severity: Severity; readonly condition: string; readonly threshold?: number }[];
  /** ms the condition must keep holding. */
  readonly for: number;
  readonly cooldownMs: number | null;
  readonly priority: number;
  readonly runbooks: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** The health score component its incidents count against. */
  readonly component: Component;
  readonly createdBy: string | null;
  readonly updatedAt: number | null;
  readonly current: readonly { readonly target: string; readonly value: number | null; readonly holding: boolean; readonly severity: Severity | null; readonly phase: 'ok' | 'pending' | 'firing' }[];
}

export interface RuleBookDeps {
  readonly fileRules: readonly CompiledRule[];
  readonly targets: readonly string[];
  readonly runbooks: () => readonly CompiledRunbook[];
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly audit: (kind: string, subject: string, result: string, details: Record<string, unknown>, actor?: string) => Promise<void>;
}

/**
 * The rules the engine runs: those of the config file, which only the file
 * changes, and those created through the API, stored and compiled again at
 * every start by the config compiler (so both obey one schema). Thresholds
 * set at run time apply over both; see ./settings.ts.
 */
export class RuleBook {
  private readonly api = new Map<string, { rule: CompiledRule; record: RuntimeRuleRecord }>();

  constructor(private readonly deps: RuleBookDeps) {}

  /** Stored API rules; one that no longer compiles (a target was removed from the config) is skipped and logged. */
  async load(): Promise<void> {
    for (const record of await this.deps.store.runtimeRules.list()) {
      if (this.isFileRule(record.name)) {
        this.deps.log.warn({ rule: record.name }, 'a rule created through the API has the name of a file rule; the file rule wins');
        continue;
      }
      const out = compileRuleValue(record.spec, this.deps.targets);
      if ('issues' in out) {
        this.deps.log.error({ rule: record.name, issues: out.issues }, 'a stored runtime rule no longer compiles; it is not loaded');
        continue;
      }
      this.api.set(record.name, { rule: out.rule, record });
    }
  }

  /** File rules first, then API rules by name. */
  all(): CompiledRule[] {
    return [...this.deps.fileRules, ...[...this.api.values()].map((x) => x.rule)];
  }

  sourceOf(name: string): { source: 'file' | 'api'; record: RuntimeRuleRecord | null } | undefined {
    if (this.isFileRule(name)) return { source: 'file', record: null };
    const a = this.api.get(name);
    return a && { source: 'api', record: a.record };
  }

  async create(spec: unknown, actor: string): Promise<CompiledRule> {
    const rule = this.compile(spec);
    if (this.isFileRule(rule.name)) throw new OperationError('conflict', `rule ${rule.name} is defined in the config file`, { field: 'name' });
    if (this.api.has(rule.name)) throw new OperationError('conflict', `rule ${rule.name} already exists; PUT /rules/${rule.name} changes it`, { field: 'name' });
    const now = this.deps.clock.now();
    const record: RuntimeRuleRecord = { name: rule.name, spec: spec as Record<string, unknown>, createdBy: actor, createdAt: now, updatedAt: now };
    await this.deps.store.runtimeRules.put(record);
    this.api.set(rule.name, { rule, record });
    await this.deps.audit('rule', rule.name, 'created', { spec }, actor);
    return rule;
  }

  async update(name: string, spec: unknown, actor: string): Promise<CompiledRule> {
    const existing = this.editable(name, 'changed');
    // The name in the path is the rule's; a body without one means the same rule.
    const named = typeof spec === 'object' && spec !== null && !Array.isArray(spec) && (spec as { name?: unknown }).name === undefined ? { ...spec, name } : spec;
    const rule = this.compile(named);
    if (rule.name !== name) throw new OperationError('bad_request', `name: '${rule.name}' differs from the rule being changed ('${name}'); a rule is renamed by creating the new one and deleting the old`, { field: 'name' });
    const record: RuntimeRuleRecord = { ...existing.record, spec: named as Record<string, unknown>, updatedAt: this.deps.clock.now() };
    await this.deps.store.runtimeRules.put(record);
    this.api.set(name, { rule, record });
    await this.deps.audit('rule', name, 'updated', { from: existing.record.spec, to: named }, actor);
    return rule;
  }

  async delete(name: string, actor: string): Promise<void> {
    const existing = this.editable(name, 'deleted');
    await this.deps.store.runtimeRules.delete(name);
    this.api.delete(name);
    await this.deps.audit('rule', name, 'deleted', { spec: existing.record.spec }, actor);
  }

  private editable(name: string, verb: string): { rule: CompiledRule; record: RuntimeRuleRecord } {
    if (this.isFileRule(name)) {
      throw new OperationError('conflict', `rule ${name} comes from the config file and cannot be ${verb} through the API; change the file (thresholds: PATCH /settings)`);
    }
    const existing = this.api.get(name);
    if (!existing) throw new OperationError('not_found', `no rule ${name}`);
    return existing;
  }

  private compile(spec: unknown): CompiledRule {
    const out = compileRuleValue(spec, this.deps.targets);
    if ('issues' in out) {
      const first = out.issues[0]!;
      throw new OperationError('bad_request', `${first.field || 'rule'}: ${first.message}`, { field: first.field || 'rule', issues: out.issues });
    }
    const rule = out.rule;
    const known = new Set(this.deps.runbooks().map((r) => r.name));
    rule.runbooks.forEach((r, i) => {
      if (!known.has(r)) throw new OperationError('bad_request', `runbooks[${i}]: no runbook named '${r}' is loaded`, { field: `runbooks[${i}]` });
    });
    return rule;
  }

  private isFileRule(name: string): boolean {
    return this.deps.fileRules.some((r) => r.name === name);
  }
}

/** What each rule reads now, per target it applies to, judged on the samples since its last settle reset. */
export function ruleView(
  rule: CompiledRule, origin: { source: 'file' | 'api'; record: RuntimeRuleRecord | null }, targets: readonly string[],
  source: SeriesSource, state: (rule: string, target: string) => { phase: 'ok' | 'pending' | 'firing'; resetAt: number }, now: number,
): RuleView {
  const applies = rule.targets ?? targets;
  return {
    name: rule.name,
    source: origin.source,
    description: rule.description,
    targets: rule.targets,
    bands: rule.bands.map((b) => ({
      severity: b.severity, condition: describeCondition(b.condition), ...(b.condition.kind === 'compare' ? { threshold: b.condition.threshold } : {}),
    })),
    for: rule.forMs,
    cooldownMs: rule.cooldownMs,
    priority: rule.priority,
    runbooks: rule.runbooks,
    labels: rule.labels,
    component: componentOf({ rule: rule.name, labels: {} }, rule),
    createdBy: origin.record?.createdBy ?? null,
    updatedAt: origin.record?.updatedAt ?? null,
    current: applies.map((target) => {
      const st = state(rule.name, target);
      const held = holdingBand(rule, target, source, now, st.resetAt);
      return { target, value: held.value, holding: held.severity !== null, severity: held.severity, phase: st.phase };
    }),
  };
}

/** The first band that holds (its severity), and the value read: the holding band's, else the first known one. */
export function holdingBand(rule: CompiledRule, target: string, source: SeriesSource, now: number, since = 0): { severity: Severity | null; value: number | null; explain: string } {
  let value: number | null = null;
  const explains: string[] = [];
  for (const band of rule.bands) {
    const ev = evaluate(band.condition, source, { target, now, since });
    if (ev.holds) return { severity: band.severity, value: ev.value, explain: ev.explain };
    value ??= ev.value;
    explains.push(ev.explain);
  }
  return { severity: null, value, explain: explains.join('; ') };
}

/** The rules with person-set thresholds applied over their own. */
export function effectiveRules(base: readonly CompiledRule[], thresholds: ThresholdOverrides): CompiledRule[] {
  return base.map((r) => {
    const o = thresholds[r.name];
    return o ? { ...r, bands: withThresholds(r.bands, o) } : r;
  });
}
