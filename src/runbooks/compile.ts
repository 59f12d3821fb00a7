import { resolve } from 'node:path';
import { compileCondition } from '../config/condition.js';
import { CONFIG_DEFAULTS, RUNBOOK_DEFAULTS as D } from '../config/defaults.js';
import { ConfigError, type PathSegment } from '../config/errors.js';
import { deepFreeze } from '../config/freeze.js';
import { IssueList } from '../config/issues.js';
import { checkParams, unknownPlugin, type PluginSchemas } from '../config/params.js';
import { labelsOf, ms } from '../config/primitives.js';
import { parseYaml, type YamlSource } from '../config/yaml.js';
import type { RawCondition } from '../config/primitives.js';
import { runbookSchema, type RunbookSpec, type StepResultSpec, type StepSpec, type WhenSpec } from './schema.js';
import { TEMPLATE_ROOTS, templateProblem, templateRefs } from './template.js';
import type { CompiledActionStep, CompiledRunbook, CompiledStep, CompiledStrategy, CompiledVerify, CompiledWatch, StepResultCheck } from './types.js';

export interface CompileRunbookOptions {
  /** The file it came from, as it should appear in errors; stored absolute. */
  readonly file: string;
  /** Action plugins by name: only their params schemas are needed. */
  readonly actions: PluginSchemas;
  /** Settle time for a runbook that names none: pass the config's policy.settleMs. Default 5s. */
  readonly settleMs?: number;
  /** Where the runbook's fields are written, for line numbers in errors. */
  readonly source?: YamlSource | null;
}

/** A runbook as text (YAML) → CompiledRunbook; throws ConfigError. */
export function compileRunbookText(text: string, opts: Omit<CompileRunbookOptions, 'source'>): CompiledRunbook {
  const source = parseYaml(text, opts.file);
  return compileRunbook(source.value, { ...opts, source });
}

/**
 * A parsed runbook (RunbookSpec-shaped plain data) → CompiledRunbook, deeply
 * frozen: defaults applied, durations in ms, actions checked against the
 * registry, literal params checked against the actions' schemas, template
 * syntax and variables checked. Throws a ConfigError listing every problem.
 */
export function compileRunbook(spec: unknown, opts: CompileRunbookOptions): CompiledRunbook {
  const issues = new IssueList(opts.file, opts.source ?? null);
  // The result is frozen and shares params with the input: copy data that is
  // not our own (it came from a caller, not from parsing a file).
  const input: unknown = opts.source ? spec : structuredClone(spec);
  const parsed = runbookSchema.safeParse(input ?? {});
  if (!parsed.success) {
    issues.addZod(parsed.error, input);
    throw issues.error() ?? new ConfigError([]);
  }
  const compiled = compileSpec(parsed.data, opts, issues);
  issues.throwIfAny();
  return deepFreeze(compiled);
}

function compileSpec(r: RunbookSpec, opts: CompileRunbookOptions, issues: IssueList): CompiledRunbook {
  return {
    name: r.name,
    description: r.description,
    file: resolve(opts.file),
    match: {
      rules: r.match.rules,
      targets: r.match.targets ?? null,
      labels: labelsOf(r.match.labels),
    },
    risk: r.risk,
    impact: r.impact,
    rollbackPlan: r.rollback_plan,
    approval: r.approval ?? D.approval,
    settleMs: r.settle !== undefined ? ms(r.settle, 0) : opts.settleMs ?? ms(undefined, CONFIG_DEFAULTS.policy.settle),
    flap: r.flap ? { max: r.flap.max ?? null, withinMs: r.flap.within !== undefined ? ms(r.flap.within, 0) : null } : null,
    strategies: compileStrategies(r, opts.actions, issues),
    verify: compileVerify(r.verify, issues),
    watch: compileWatch(r.watch),
    inputs: compileInputs(r, issues),
    chain: r.chain ? { strategy: r.chain.strategy, maxDurationMs: ms(r.chain.max_duration, 0) } : null,
  };
}

function compileStrategies(r: RunbookSpec, actions: PluginSchemas, issues: IssueList): CompiledStrategy[] {
  if (r.strategies && r.steps) {
    issues.add(['steps'], "give either 'strategies' or a top-level 'steps' list (one strategy), not both", { at: 'key' });
    return [];
  }
  if (r.steps) {
    return [{ name: 'default', steps: compileSteps(r.steps, ['steps'], actions, issues, r.chain) }];
  }
  if (!r.strategies) {
    issues.add([], "missing required field 'strategies' (or a top-level 'steps' list)");
    return [];
  }
  const seen = new Map<string, number>();
  return r.strategies.map((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) issues.add(['strategies', i, 'name'], `duplicate strategy name '${s.name}' (first at strategies[${first}])`);
    else seen.set(s.name, i);
    return { name: s.name, steps: compileSteps(s.steps, ['strategies', i, 'steps'], actions, issues, r.chain) };
  });
}

function compileSteps(
  steps: readonly StepSpec[], path: PathSegment[], actions: PluginSchemas, issues: IssueList, chain: RunbookSpec['chain'],
): CompiledStep[] {
  const seen = new Map<string, number>();
  // In a chain a step without its own on_failure follows the chain's strategy.
  const defaultOnFailure = chain?.strategy === 'continue-on-error' ? 'continue' : D.step.onFailure;
  return steps.map((s, i): CompiledStep => {
    const at = [...path, i];
    const first = seen.get(s.name);
    if (first !== undefined) issues.add([...at, 'name'], `duplicate step name '${s.name}' (first at step ${first})`);
    else seen.set(s.name, i);
    const params = s.params ?? {};
    const { when, whenSteps } = compileWhen(s.when, [...at, 'when'], steps.slice(0, i).map((x) => x.name), issues);
    const common = { name: s.name, onFailure: s.on_failure ?? defaultOnFailure, when, whenSteps };
    if (s.runbook !== undefined) {
      if (s.action !== undefined) issues.add([...at, 'runbook'], "give either 'action' or 'runbook', not both", { at: 'key' });
      for (const key of ['retries', 'backoff', 'rollback', 'idempotent'] as const) {
        if (s[key] !== undefined) issues.add([...at, key], `a runbook step has no '${key}': the called runbook's steps have their own`, { at: 'key' });
      }
      checkTemplates(params, [...at, 'params'], issues);
      return { kind: 'runbook', ...common, runbook: s.runbook, params, timeoutMs: ms(s.timeout, 0) };
    }
    if (s.action === undefined) {
      issues.add(at, "missing required field 'action'");
      return { kind: 'runbook', ...common, runbook: '', params, timeoutMs: 0 };
    }
    checkAction(s.name, s.action, params, at, actions, issues);
    let rollback: CompiledActionStep['rollback'] = null;
    if (s.rollback) {
      rollback = { action: s.rollback.action, params: s.rollback.params ?? {} };
      checkAction(s.name, rollback.action, rollback.params, [...at, 'rollback'], actions, issues);
    }
    const timeoutMs = ms(s.timeout, D.step.timeout);
    if (timeoutMs === 0) issues.add([...at, 'timeout'], 'must be longer than 0');
    const b = s.backoff ?? {};
    const backoff = {
      initialMs: ms(b.initial, D.step.backoff.initial),
      factor: b.factor ?? D.step.backoff.factor,
      maxMs: ms(b.max, D.step.backoff.max),
    };
    if (backoff.initialMs > backoff.maxMs) issues.add([...at, 'backoff', 'initial'], 'is longer than backoff.max');
    return {
      kind: 'action',
      ...common,
      action: s.action,
      params,
      timeoutMs,
      retries: s.retries ?? D.step.retries,
      backoff,
      idempotent: s.idempotent ?? null,
      rollback,
    };
  });
}

/** Splits a step's `when` into its signal condition and its checks of earlier steps' outcomes. */
function compileWhen(
  w: WhenSpec | undefined, path: PathSegment[], earlier: readonly string[], issues: IssueList,
): { when: CompiledStep['when']; whenSteps: StepResultCheck[] } {
  if (w === undefined) return { when: null, whenSteps: [] };
  const parts: { spec: StepResultSpec | RawCondition; path: PathSegment[] }[] = 'all' in w && w.all && !('signal' in w)
    ? w.all.map((spec, i) => ({ spec, path: [...path, 'all', i] }))
    : [{ spec: w as StepResultSpec | RawCondition, path }];
  const conditions: { spec: RawCondition; path: PathSegment[] }[] = [];
  const whenSteps: StepResultCheck[] = [];
  for (const p of parts) {
    if ('step' in p.spec && typeof p.spec.step === 'string') {
      const r = p.spec as StepResultSpec;
      if (!earlier.includes(r.step)) {
        issues.add([...p.path, 'step'], `no earlier step named '${r.step}'${earlier.length ? ` (earlier steps: ${earlier.join(', ')})` : ''}`);
      }
      whenSteps.push({ step: r.step, is: Array.isArray(r.is) ? r.is : [r.is] });
    } else {
      conditions.push({ spec: p.spec as RawCondition, path: p.path });
    }
  }
  if (conditions.length === 0) return { when: null, whenSteps };
  const compiled = conditions.map((c) => compileCondition(c.spec, c.path, issues));
  return { when: compiled.length === 1 ? compiled[0]! : { kind: 'all', of: compiled }, whenSteps };
}

/**
 * The action must exist; params without templates must satisfy its schema
 * now (templated ones are checked after rendering, at run time); templates
 * must be well formed and read variables an execution provides.
 */
function checkAction(
  step: string, action: string, params: Readonly<Record<string, unknown>>,
  at: PathSegment[], actions: PluginSchemas, issues: IssueList,
): void {
  const plugin = actions.get(action);
  if (!plugin) issues.add([...at, 'action'], `step '${step}': ${unknownPlugin('action', action, actions)}`);
  else checkParams(plugin.schema, params, [...at, 'params'], issues);
  checkTemplates(params, [...at, 'params'], issues);
}

function checkTemplates(params: Readonly<Record<string, unknown>>, at: PathSegment[], issues: IssueList): void {
  eachString(params, at, (s, path) => {
    if (!s.includes('{{') && !s.includes('}}')) return;
    const problem = templateProblem(s);
    if (problem) return issues.add(path, problem);
    for (const ref of templateRefs(s)) {
      const root = ref.split('.')[0] ?? '';
      if (!(TEMPLATE_ROOTS as readonly string[]).includes(root)) {
        issues.add(path, `unknown template variable '${ref}' (variables start with ${TEMPLATE_ROOTS.join(', ')})`);
      }
    }
  });
}

function eachString(v: unknown, path: PathSegment[], fn: (s: string, path: PathSegment[]) => void): void {
  if (typeof v === 'string') fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => eachString(x, [...path, i], fn));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) eachString(x, [...path, k], fn);
}

function compileVerify(v: RunbookSpec['verify'], issues: IssueList): CompiledVerify {
  const timeoutMs = ms(v?.timeout, D.verify.timeout);
  const intervalMs = ms(v?.interval, D.verify.interval);
  if (intervalMs === 0) issues.add(['verify', 'interval'], 'must be longer than 0');
  if (intervalMs > timeoutMs) issues.add(['verify', 'interval'], 'is longer than verify.timeout: nothing would be checked');
  return {
    timeoutMs,
    intervalMs,
    ruleCleared: v?.rule_cleared ?? D.verify.ruleCleared,
    checks: (v?.checks ?? []).map((c, i) => compileCondition(c, ['verify', 'checks', i], issues)),
  };
}

function compileWatch(w: RunbookSpec['watch']): CompiledWatch {
  const guard = <T extends object, R>(v: T | false | undefined, fill: (v: Partial<T>) => R): R | null =>
    v === false ? null : fill(v ?? {});
  return {
    durationMs: ms(w?.duration, D.watch.duration),
    errorRate: guard(w?.error_rate, (g) => ({
      signal: g.signal ?? D.watch.errorRate.signal, factor: g.factor ?? D.watch.errorRate.factor,
    })),
    latency: guard(w?.latency, (g) => ({
      signal: g.signal ?? D.watch.latency.signal, factor: g.factor ?? D.watch.latency.factor,
    })),
    health: guard(w?.health, (g) => ({
      signal: g.signal ?? D.watch.health.signal, failures: g.failures ?? D.watch.health.failures,
    })),
  };
}

/**
 * Input patterns guard untrusted values. A pattern for a variable no template
 * reads is almost always a typo that leaves the real variable unguarded, so
 * it is an error rather than dead config.
 */
function compileInputs(r: RunbookSpec, issues: IssueList): CompiledRunbook['inputs'] {
  const allParams = [...(r.strategies ?? []).flatMap((s) => s.steps), ...(r.steps ?? [])]
    .flatMap((s) => [s.params ?? {}, s.rollback?.params ?? {}]);
  const used = new Set(templateRefs(allParams));
  const out: Record<string, { pattern: RegExp }> = {};
  for (const [variable, { pattern }] of Object.entries(r.inputs ?? {})) {
    const path = ['inputs', variable];
    if (!used.has(variable)) {
      issues.add(path, `no step uses {{ ${variable} }}: a misspelt input leaves the real variable unchecked`, { at: 'key' });
    }
    try {
      out[variable] = { pattern: new RegExp(`^(?:${pattern})$`) };
    } catch (err) {
      issues.add([...path, 'pattern'], `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
