import { dirname, resolve } from 'node:path';
import { compileBands, compileCondition } from './condition.js';
import { compileIntake } from './compile-intake.js';
import { compileChannels } from './compile-notify.js';
import { cronProblem } from './cron.js';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import type { PathSegment } from './errors.js';
import type { IssueList } from './issues.js';
import { checkParams, unknownPlugin, type PluginSchemas } from './params.js';
import { labelsOf, ms } from './primitives.js';
import type { ConfigSpec, ProbeSpec, ProcessSpecRaw, RuleSpec, TargetSpec } from './schema.js';
import type {
  CompiledConfig, CompiledRule, PolicyConfig, ProbeConfig, ProcessSpec, ScheduleConfig, TargetConfig,
} from './types.js';

export interface ConfigOverrides {
  readonly port?: number;
  /** Relative to the current directory (it comes from the command line). */
  readonly dataDir?: string;
}

export interface CompileConfigOptions {
  readonly probes: PluginSchemas;
  readonly overrides?: ConfigOverrides;
}

/**
 * Schema-valid medic.yaml → CompiledConfig: defaults applied, durations in ms,
 * paths absolute, names cross-checked. Problems go to `issues`; the caller
 * throws when there are any, so the returned value is only used when clean.
 */
export function compileSpec(spec: ConfigSpec, file: string | null, issues: IssueList, opts: CompileConfigOptions): CompiledConfig {
  const baseDir = file ? dirname(resolve(file)) : process.cwd();
  const targets = compileTargets(spec.targets ?? [], baseDir, issues);
  const storage = spec.storage ?? {};
  const intake = compileIntake(spec.intake, spec.rules ?? [], issues);
  const dashboardUrl = spec.notify?.dashboard_url ?? null;
  return {
    file: file ? resolve(file) : null,
    server: {
      host: spec.server?.host ?? D.server.host,
      port: opts.overrides?.port ?? spec.server?.port ?? D.server.port,
    },
    api: { bodyLimit: spec.api?.body_limit ?? D.api.bodyLimit },
    storage: {
      dataDir: opts.overrides?.dataDir !== undefined
        ? resolve(opts.overrides.dataDir)
        : resolve(baseDir, storage.data_dir ?? D.storage.dataDir),
      signalRetentionMs: ms(storage.signal_retention, D.storage.signalRetention),
      historyRetentionMs: ms(storage.history_retention, D.storage.historyRetention),
    },
    audit: { checkpointEvery: spec.audit?.checkpoint_every ?? D.audit.checkpointEvery },
    policy: compilePolicy(spec.policy ?? {}),
    targets,
    probes: compileProbes(spec.probes ?? [], targets, issues, opts.probes),
    rules: [...compileRules(spec.rules ?? [], targets, issues, intake.rules.map((r) => r.name)), ...intake.rules],
    runbookPaths: (spec.runbooks?.paths ?? []).map((p) => resolve(baseDir, p)),
    notify: { channels: compileChannels(spec.notify?.channels, dashboardUrl, baseDir, issues), dashboardUrl },
    intake: intake.intake,
    schedules: compileSchedules(spec.schedules ?? [], targets, issues),
  };
}

function compilePolicy(p: NonNullable<ConfigSpec['policy']>): PolicyConfig {
  const a = p.approval ?? {};
  const r = p.rate_limits ?? {};
  return {
    mode: p.mode ?? D.policy.mode,
    autoRemediation: p.auto_remediation ?? D.policy.autoRemediation,
    approval: {
      P0: a.P0 ?? D.policy.approval.P0,
      P1: a.P1 ?? D.policy.approval.P1,
      P2: a.P2 ?? D.policy.approval.P2,
      P3: a.P3 ?? D.policy.approval.P3,
    },
    rateLimits: {
      globalPerMinute: r.global_per_minute ?? D.policy.rateLimits.globalPerMinute,
      globalPerHour: r.global_per_hour ?? D.policy.rateLimits.globalPerHour,
      perTargetPerHour: r.per_target_per_hour ?? D.policy.rateLimits.perTargetPerHour,
    },
    cooldownMs: ms(p.cooldown, D.policy.cooldown),
    circuitBreaker: { failures: p.circuit_breaker?.failures ?? D.policy.circuitBreakerFailures },
    flap: { max: p.flap?.max ?? D.policy.flap.max, withinMs: ms(p.flap?.within, D.policy.flap.within) },
    maxConcurrent: p.max_concurrent ?? D.policy.maxConcurrent,
    blastRadius: { targetsPerHour: p.blast_radius?.targets_per_hour ?? D.policy.blastRadiusTargetsPerHour },
    settleMs: ms(p.settle, D.policy.settle),
    approvalTimeoutMs: {
      P0: ms(p.approval_timeout?.P0, D.policy.approvalTimeout.P0),
      P1: ms(p.approval_timeout?.P1, D.policy.approvalTimeout.P1),
      P2: ms(p.approval_timeout?.P2, D.policy.approvalTimeout.P2),
      P3: ms(p.approval_timeout?.P3, D.policy.approvalTimeout.P3),
    },
    fourEyes: {
      P0: p.four_eyes?.P0 ?? D.policy.fourEyes.P0,
      P1: p.four_eyes?.P1 ?? D.policy.fourEyes.P1,
      P2: p.four_eyes?.P2 ?? D.policy.fourEyes.P2,
      P3: p.four_eyes?.P3 ?? D.policy.fourEyes.P3,
    },
  };
}

function compileSchedules(specs: NonNullable<ConfigSpec['schedules']>, targets: Record<string, TargetConfig>, issues: IssueList): ScheduleConfig[] {
  uniqueNames(specs, 'schedules', 'schedule', issues);
  return specs.map((s, i) => {
    const timezone = s.timezone ?? D.schedule.timezone;
    if (!targets[s.target]) issues.add(['schedules', i, 'target'], `unknown target '${s.target}' (targets: ${Object.keys(targets).join(', ') || 'none'})`);
    if (!validTimeZone(timezone)) issues.add(['schedules', i, 'timezone'], `unknown time zone '${timezone}' (an IANA name like Europe/Berlin or UTC)`);
    else {
      const problem = cronProblem(s.cron, timezone);
      if (problem) issues.add(['schedules', i, 'cron'], `not a valid cron pattern: ${problem}`);
    }
    return {
      name: s.name, runbook: s.runbook, target: s.target, cron: s.cron, timezone,
      catchUp: s.catch_up ?? D.schedule.catchUp, severity: s.severity ?? D.schedule.severity,
    };
  });
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Reports a name seen before, pointing at the second one and naming the first. */
function uniqueNames(items: readonly { name: string }[], section: string, kind: string, issues: IssueList): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, i);
    else issues.add([section, i, 'name'], `duplicate ${kind} name '${item.name}' (first defined at ${section}[${first}])`);
  });
}

function compileTargets(specs: readonly TargetSpec[], baseDir: string, issues: IssueList): Record<string, TargetConfig> {
  uniqueNames(specs, 'targets', 'target', issues);
  const out: Record<string, TargetConfig> = {};
  specs.forEach((t, i) => {
    if (Object.hasOwn(out, t.name)) return;
    out[t.name] = {
      name: t.name,
      labels: labelsOf(t.labels),
      process: t.process ? compileProcess(t.process, baseDir, ['targets', i, 'process'], issues) : null,
    };
  });
  return out;
}

function compileProcess(p: ProcessSpecRaw, baseDir: string, path: PathSegment[], issues: IssueList): ProcessSpec {
  const replicas = p.replicas ?? D.process.replicas;
  const maxReplicas = p.max_replicas ?? D.process.maxReplicas;
  if (replicas > maxReplicas) issues.add([...path, 'replicas'], `${replicas} is more than max_replicas (${maxReplicas})`);
  const maxUnavailable = p.max_unavailable ?? D.process.maxUnavailable;
  if (maxUnavailable > maxReplicas) {
    issues.add([...path, 'max_unavailable'], `${maxUnavailable} is more than max_replicas (${maxReplicas})`);
  }
  const env = Object.fromEntries(Object.entries(p.env ?? {}).map(([k, v]) => [k, String(v)]));
  const usesPort = [...(p.args ?? []), ...Object.values(env), p.ready?.url ?? ''].some((s) => /\{\{\s*port\s*\}\}/.test(s));
  if (usesPort && p.port === undefined) {
    issues.add(path, "uses {{port}} but has no 'port' (replica i listens on port + i)");
  }
  const b = p.restart_backoff ?? {};
  const backoff = {
    initialMs: ms(b.initial, D.process.restartBackoff.initial),
    maxMs: ms(b.max, D.process.restartBackoff.max),
    attempts: b.attempts ?? D.process.restartBackoff.attempts,
  };
  if (backoff.initialMs > backoff.maxMs) issues.add([...path, 'restart_backoff', 'initial'], 'is longer than restart_backoff.max');
  return {
    command: p.command,
    args: p.args ?? [],
    cwd: resolve(baseDir, p.cwd ?? '.'),
    env,
    basePort: p.port ?? null,
    replicas,
    maxReplicas,
    maxUnavailable,
    ready: p.ready
      ? {
          url: p.ready.url,
          timeoutMs: ms(p.ready.timeout, D.process.ready.timeout),
          intervalMs: ms(p.ready.interval, D.process.ready.interval),
        }
      : null,
    graceMs: ms(p.grace, D.process.grace),
    logMaxBytes: p.log_max_bytes ?? D.process.logMaxBytes,
    restartBackoff: backoff,
  };
}

function compileProbes(
  specs: readonly ProbeSpec[],
  targets: Readonly<Record<string, TargetConfig>>,
  issues: IssueList,
  plugins: PluginSchemas,
): ProbeConfig[] {
  uniqueNames(specs, 'probes', 'probe', issues);
  return specs.map((p, i) => {
    const path = ['probes', i];
    const plugin = plugins.get(p.type);
    const params = p.params ?? {};
    if (!plugin) issues.add([...path, 'type'], unknownPlugin('probe type', p.type, plugins));
    else checkParams(plugin.schema, params, [...path, 'params'], issues);
    if (!Object.hasOwn(targets, p.target)) issues.add([...path, 'target'], unknownTarget(p.target, targets));
    const intervalMs = ms(p.interval, D.probe.interval);
    if (intervalMs === 0) issues.add([...path, 'interval'], 'must be longer than 0');
    return { name: p.name, type: p.type, target: p.target, intervalMs, timeoutMs: ms(p.timeout, D.probe.timeout), params };
  });
}

function unknownTarget(name: string, targets: Readonly<Record<string, TargetConfig>>): string {
  const known = Object.keys(targets);
  return `unknown target '${name}' (targets: ${known.join(', ') || 'none defined'})`;
}

function compileRules(
  specs: readonly RuleSpec[], targets: Readonly<Record<string, TargetConfig>>, issues: IssueList, alertRules: readonly string[],
): CompiledRule[] {
  uniqueNames(specs, 'rules', 'rule', issues);
  // A cause may be a rule of this file or one made from an intake route.
  const known = new Set([...specs.map((r) => r.name), ...alertRules]);
  return specs.map((r, i) => {
    const path = ['rules', i];
    (r.targets ?? []).forEach((t, j) => {
      if (!Object.hasOwn(targets, t)) issues.add([...path, 'targets', j], unknownTarget(t, targets));
    });
    (r.inhibited_by ?? []).forEach((cause, j) => {
      if (cause === r.name) issues.add([...path, 'inhibited_by', j], 'a rule cannot inhibit itself');
      else if (!known.has(cause)) issues.add([...path, 'inhibited_by', j], `unknown rule '${cause}' (rules: ${[...known].join(', ') || 'none'})`);
    });
    return {
      name: r.name,
      description: r.description ?? '',
      targets: r.targets ?? null,
      bands: ruleBands(r, path, issues),
      forMs: ms(r.for, D.rule.for),
      cooldownMs: r.cooldown === undefined ? null : ms(r.cooldown, 0),
      priority: r.priority ?? D.rule.priority,
      runbooks: r.runbooks ?? [],
      inhibitedBy: r.inhibited_by ?? [],
      labels: labelsOf(r.labels),
      ...(r.component !== undefined ? { component: r.component } : {}),
    };
  });
}

/** `severity` + `condition` is shorthand for a single band. */
function ruleBands(r: RuleSpec, path: PathSegment[], issues: IssueList): CompiledRule['bands'] {
  const single = r.severity !== undefined || r.condition !== undefined;
  const banded = r.value !== undefined || r.bands !== undefined;
  if (single && banded) {
    issues.add(path, "give either 'severity' + 'condition' or 'value' + 'bands', not both");
    return [];
  }
  if (banded) {
    if (!r.value) issues.add(path, "missing required field 'value' (the bands compare it)");
    if (!r.bands) issues.add(path, "missing required field 'bands'");
    return r.value && r.bands ? compileBands(r.value, r.bands, path, issues) : [];
  }
  if (!r.condition) issues.add(path, r.severity ? "missing required field 'condition'" : "needs 'severity' + 'condition', or 'value' + 'bands'");
  if (r.condition && !r.severity) issues.add(path, "missing required field 'severity'");
  if (!r.condition || !r.severity) return [];
  return [{ severity: r.severity, condition: compileCondition(r.condition, [...path, 'condition'], issues) }];
}
