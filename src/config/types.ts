import type { FlapLimit } from '../core/flap.js';
import type { Condition } from '../core/condition.js';
import type { Component } from '../core/health.js';
import type { Severity } from '../core/severity.js';
import type { LabelMatcher } from '../core/matchers.js';

/**
 * What the engine runs, compiled from medic.yaml by ./load.ts: defaults
 * applied, durations in ms, paths absolute, everything frozen. The raw YAML
 * shape lives in ./schema.ts and never leaves src/config.
 */
export interface CompiledConfig {
  /** Absolute path of the file it came from, when there was one. */
  readonly file: string | null;
  readonly server: { readonly host: string; readonly port: number };
  readonly api: { readonly bodyLimit: number };
  readonly storage: StorageConfig;
  /** Signed checkpoints of the audit head (src/audit/signing.ts). */
  readonly audit: { readonly checkpointEvery: number };
  readonly policy: PolicyConfig;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  readonly probes: readonly ProbeConfig[];
  readonly rules: readonly CompiledRule[];
  /** Absolute paths of runbook files or directories. */
  readonly runbookPaths: readonly string[];
  readonly notify: { readonly channels: readonly ChannelConfig[]; readonly dashboardUrl: string | null };
  readonly intake: IntakeConfig;
  readonly schedules: readonly ScheduleConfig[];
}

/** Pushed alerts (src/intake): who may send them and where they go. */
export interface IntakeConfig {
  /** Shared secrets; null = only API tokens are accepted. Never logged. */
  readonly alertmanager: { readonly secret: string | null };
  readonly webhook: { readonly secret: string | null };
  readonly routes: readonly AlertRoute[];
}

export interface AlertRoute {
  /** Position in intake.routes, for messages. */
  readonly index: number;
  readonly matchers: readonly LabelMatcher[];
  readonly rule: string;
  readonly target: { readonly kind: 'fixed'; readonly name: string } | { readonly kind: 'label'; readonly label: string };
  /** null = from the alert's `severity` label. */
  readonly severity: Severity | null;
  readonly runbook: string | null;
}

export interface StorageConfig {
  /** Absolute; the SQLite file is `medic.db` inside it. */
  readonly dataDir: string;
  /** How long signal samples are kept in the store (rule windows need far less). */
  readonly signalRetentionMs: number;
  readonly historyRetentionMs: number;
}

export type ApprovalMode = 'required' | 'auto';

export interface PolicyConfig {
  readonly mode: 'active' | 'shadow';
  /** false = the kill switch is thrown: nothing runs automatically. */
  readonly autoRemediation: boolean;
  readonly approval: Readonly<Record<Severity, ApprovalMode>>;
  readonly rateLimits: {
    readonly globalPerMinute: number;
    readonly globalPerHour: number;
    readonly perTargetPerHour: number;
  };
  readonly cooldownMs: number;
  readonly circuitBreaker: { readonly failures: number };
  /** The restart-loop guard's default: more than `max` fixes of a runbook on a target within `withinMs` open its circuit. */
  readonly flap: FlapLimit;
  readonly maxConcurrent: number;
  readonly blastRadius: { readonly targetsPerHour: number };
  /** Default settle time after an action when a runbook names none. */
  readonly settleMs: number;
  /** How long an execution waits for approval, per severity. */
  readonly approvalTimeoutMs: Readonly<Record<Severity, number>>;
  /** true: the requester may not approve their own execution at this severity. */
  readonly fourEyes: Readonly<Record<Severity, boolean>>;
}

export interface ScheduleConfig {
  readonly name: string;
  readonly runbook: string;
  readonly target: string;
  readonly cron: string;
  readonly timezone: string;
  readonly catchUp: boolean;
  readonly severity: Severity;
}

export interface TargetConfig {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Present when Medic supervises this target's process(es). */
  readonly process: ProcessSpec | null;
}

export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Absolute. */
  readonly cwd: string;
  /** `{{port}}` and `{{replica}}` in args and env values are replaced per replica. */
  readonly env: Readonly<Record<string, string>>;
  /** Replica i listens on basePort + i. */
  readonly basePort: number | null;
  readonly replicas: number;
  readonly maxReplicas: number;
  /** process.restart takes at most this many replicas down at once, each batch ready before the next. */
  readonly maxUnavailable: number;
  /** Readiness: a URL (with `{{port}}`) that must answer 2xx before a start counts as done. */
  readonly ready: { readonly url: string; readonly timeoutMs: number; readonly intervalMs: number } | null;
  /** SIGTERM, then this long, then SIGKILL. */
  readonly graceMs: number;
  /** Output of each replica goes to <dataDir>/logs/<target>.<replica>.log, rotated at this size. */
  readonly logMaxBytes: number;
  readonly restartBackoff: { readonly initialMs: number; readonly maxMs: number; readonly attempts: number };
}

export interface ProbeConfig {
  readonly name: string;
  readonly type: string;
  readonly target: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Validated against the probe plugin's schema at load time. */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface SeverityBand {
  readonly severity: Severity;
  readonly condition: Condition;
}

export interface CompiledRule {
  readonly name: string;
  readonly description: string;
  /** Targets the rule applies to; null = every target. */
  readonly targets: readonly string[] | null;
  /** Checked in order; the first that holds gives the severity. */
  readonly bands: readonly SeverityBand[];
  /** How long a band must keep holding before a problem is declared. */
  readonly forMs: number;
  readonly cooldownMs: number | null;
  /** Higher first when several rules hold for one target. */
  readonly priority: number;
  /** Runbooks that fix it, by name, in preference order. Empty = any runbook whose match names the rule. */
  readonly runbooks: readonly string[];
  /**
   * Rules whose open incident on a target explains this one there (a crash explains failed health
   * checks): the symptom is noted on the cause's incident instead of opening one. Empty: none.
   */
  readonly inhibitedBy?: readonly string[];
  /** The health score component it counts against, when the rule says; else found from its signals. */
  readonly component?: Component;
  readonly labels: Readonly<Record<string, string>>;
  /** 'alert': made from intake routes; it holds while an alert routed to it fires. */
  readonly origin?: 'alert';
}

interface ChannelCommon {
  readonly name: string;
  readonly events: readonly string[] | null;
  readonly minSeverity: Severity;
  /** Further attempts after a failure, with exponential backoff. */
  readonly retries: number;
  readonly timeoutMs: number;
}

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly user: string | null;
  readonly password: string | null;
}

export type ChannelConfig =
  | ChannelCommon & { readonly type: 'console' }
  | ChannelCommon & { readonly type: 'log'; readonly path: string }
  | ChannelCommon & { readonly type: 'slack'; readonly url: string; readonly dashboardUrl: string | null }
  | ChannelCommon & { readonly type: 'pagerduty'; readonly url: string; readonly routingKey: string; readonly dashboardUrl: string | null }
  | ChannelCommon & { readonly type: 'webhook'; readonly url: string; readonly secret: string | null; readonly headers: Readonly<Record<string, string>> }
  | ChannelCommon & { readonly type: 'email'; readonly smtp: SmtpConfig; readonly from: string; readonly to: readonly string[]; readonly dashboardUrl: string | null };
