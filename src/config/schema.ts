import { z } from 'zod';
import { COMPONENTS } from '../core/health.js';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import { bandSchema, conditionSchema, duration, flapSchema, labels, name, severity, valueSchema } from './primitives.js';

/**
 * The raw shape of medic.yaml. Every object is strict: a misspelt key is an
 * error, never silently ignored. Defaults and cross-checks are applied by
 * ./compile.ts; this schema also generates schemas/medic.schema.json.
 */

const int = (min: number) => z.number().int().min(min);
const approvalMode = z.enum(['required', 'auto']);

const serverSchema = z.strictObject({
  host: z.string().min(1).optional().meta({ default: D.server.host }),
  port: int(0).max(65535).optional().meta({ default: D.server.port }),
});

const apiSchema = z.strictObject({
  body_limit: int(1024).max(64 * 1024 * 1024).optional().meta({ default: D.api.bodyLimit, description: 'Largest request body in bytes; larger ones get 413.' }),
});

const storageSchema = z.strictObject({
  data_dir: z.string().min(1).optional().meta({ default: D.storage.dataDir, description: 'Relative to this file\'s folder.' }),
  signal_retention: duration({ default: D.storage.signalRetention }).optional(),
  history_retention: duration({ default: D.storage.historyRetention }).optional(),
});

const auditSchema = z.strictObject({
  checkpoint_every: int(1).max(1_000_000).optional().meta({
    default: D.audit.checkpointEvery,
    description: 'Sign a checkpoint of the audit head every N entries (and at start and shutdown). The key: MEDIC_AUDIT_KEY or <data_dir>/audit.key.',
  }),
});

const policySchema = z.strictObject({
  mode: z.enum(['active', 'shadow']).optional().meta({ default: D.policy.mode, description: 'shadow: detect and plan, change nothing.' }),
  auto_remediation: z.boolean().optional().meta({ default: D.policy.autoRemediation, description: 'false throws the kill switch.' }),
  approval: z.strictObject({
    P0: approvalMode.optional().meta({ default: D.policy.approval.P0 }),
    P1: approvalMode.optional().meta({ default: D.policy.approval.P1 }),
    P2: approvalMode.optional().meta({ default: D.policy.approval.P2 }),
    P3: approvalMode.optional().meta({ default: D.policy.approval.P3 }),
  }).optional(),
  rate_limits: z.strictObject({
    global_per_minute: int(0).optional().meta({ default: D.policy.rateLimits.globalPerMinute }),
    global_per_hour: int(0).optional().meta({ default: D.policy.rateLimits.globalPerHour }),
    per_target_per_hour: int(0).optional().meta({ default: D.policy.rateLimits.perTargetPerHour }),
  }).optional(),
  cooldown: duration({ default: D.policy.cooldown, description: 'Per runbook and target.' }).optional(),
  circuit_breaker: z.strictObject({
    failures: int(1).optional().meta({ default: D.policy.circuitBreakerFailures }),
  }).optional(),
  flap: flapSchema(D.policy.flap).optional().meta({
    description: 'Restart-loop guard per runbook and target: more than max fixes within the window open its circuit. A runbook may set its own.',
  }),
  max_concurrent: int(1).optional().meta({ default: D.policy.maxConcurrent }),
  blast_radius: z.strictObject({
    targets_per_hour: int(1).optional().meta({ default: D.policy.blastRadiusTargetsPerHour }),
  }).optional(),
  settle: duration({ default: D.policy.settle, description: 'Wait after an action when a runbook names no settle time.' }).optional(),
  approval_timeout: z.strictObject({
    P0: duration({ default: D.policy.approvalTimeout.P0 }).optional(),
    P1: duration({ default: D.policy.approvalTimeout.P1 }).optional(),
    P2: duration({ default: D.policy.approvalTimeout.P2 }).optional(),
    P3: duration({ default: D.policy.approvalTimeout.P3 }).optional(),
  }).optional().meta({ description: 'How long an execution waits for a person; then it is never run and the incident is escalated.' }),
  four_eyes: z.strictObject({
    P0: z.boolean().optional().meta({ default: D.policy.fourEyes.P0 }),
    P1: z.boolean().optional().meta({ default: D.policy.fourEyes.P1 }),
    P2: z.boolean().optional().meta({ default: D.policy.fourEyes.P2 }),
    P3: z.boolean().optional().meta({ default: D.policy.fourEyes.P3 }),
  }).optional().meta({ description: 'true: whoever asked for an execution of this severity cannot approve it; false allows it.' }),
});

const scheduleSchema = z.strictObject({
  name,
  runbook: name.meta({ description: 'The runbook to run.' }),
  target: name.meta({ description: 'A configured target.' }),
  cron: z.string().min(1).meta({ description: 'Five fields (minute hour day month weekday), or six with seconds first, e.g. "0 3 * * 0" = Sundays 03:00.' }),
  timezone: z.string().min(1).optional().meta({ default: D.schedule.timezone, description: 'IANA time zone the cron fields are read in, e.g. Europe/Berlin.' }),
  catch_up: z.boolean().optional().meta({ default: D.schedule.catchUp, description: 'Run once at start-up when a run was missed while the engine was down.' }),
  severity: severity.optional().meta({ default: D.schedule.severity, description: 'Severity the policy sees for these runs (P0/P1 wait for approval).' }),
}).meta({ description: 'A runbook on a cron schedule, with the same policy, audit and metrics as any execution.' });

const envValue = z.union([z.string(), z.number(), z.boolean()]);

const processSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).optional().meta({ description: '`{{port}}` and `{{replica}}` are replaced per replica.' }),
  cwd: z.string().min(1).optional().meta({ description: 'Relative to this file\'s folder; default: that folder.' }),
  env: z.record(z.string(), envValue).optional(),
  port: int(1).max(65535).optional().meta({ description: 'Replica i listens on port + i.' }),
  replicas: int(1).optional().meta({ default: D.process.replicas }),
  max_replicas: int(1).optional().meta({ default: D.process.maxReplicas }),
  max_unavailable: int(1).optional().meta({
    default: D.process.maxUnavailable,
    description: 'At most this many replicas down by Medic\'s hand at once: process.restart of several goes this many at a time.',
  }),
  ready: z.strictObject({
    url: z.string().min(1),
    timeout: duration({ default: D.process.ready.timeout }).optional(),
    interval: duration({ default: D.process.ready.interval }).optional(),
  }).optional(),
  grace: duration({ default: D.process.grace, description: 'SIGTERM, then this long, then SIGKILL.' }).optional(),
  log_max_bytes: int(1).optional().meta({ default: D.process.logMaxBytes }),
  restart_backoff: z.strictObject({
    initial: duration({ default: D.process.restartBackoff.initial }).optional(),
    max: duration({ default: D.process.restartBackoff.max }).optional(),
    attempts: int(0).optional().meta({ default: D.process.restartBackoff.attempts }),
  }).optional(),
});

const targetSchema = z.strictObject({
  name,
  labels: labels.optional(),
  process: processSchema.optional(),
});

const probeSchema = z.strictObject({
  name,
  type: name.meta({ description: 'A probe plugin: http, process, host, prometheus_text, ...' }),
  target: name,
  interval: duration({ default: D.probe.interval }).optional(),
  timeout: duration({ default: D.probe.timeout }).optional(),
  params: z.record(z.string(), z.unknown()).optional().meta({ description: 'Checked by the probe type\'s own schema.' }),
});

const ruleSchema = z.strictObject({
  name,
  description: z.string().optional(),
  targets: z.array(name).optional().meta({ description: 'Default: every target.' }),
  severity: severity.optional().meta({ description: 'With `condition`: one band.' }),
  condition: conditionSchema.optional(),
  value: valueSchema.optional().meta({ description: 'With `bands`: one value, several severities.' }),
  bands: z.array(bandSchema).optional().meta({ description: 'Checked in order, first match wins: most severe first.' }),
  for: duration({ default: D.rule.for, description: 'How long the condition must keep holding.' }).optional(),
  cooldown: duration().optional(),
  priority: z.number().int().optional().meta({ default: D.rule.priority }),
  runbooks: z.array(name).optional(),
  inhibited_by: z.array(name).optional().meta({
    description: 'Rules that cause this one (Alertmanager inhibit_rules): while one of them has an open incident on the target, '
      + 'this rule holding there is noted on that incident instead of opening its own.',
  }),
  component: z.enum(COMPONENTS).optional().meta({ description: 'Health score component; default: from the signals the rule reads.' }),
  labels: labels.optional(),
});

const channelSchema = z.strictObject({
  type: z.enum(['console', 'log', 'slack', 'pagerduty', 'webhook', 'email']),
  name: name.optional().meta({ description: 'Default: the type.' }),
  events: z.array(z.string().min(1)).optional().meta({
    description: 'Default: every event. Kinds: detected, needs_approval, remediating, escalated, fixed, failed, rolled_back, circuit_open, resolved, notify; `x*` is a prefix.',
  }),
  min_severity: severity.optional().meta({ default: D.channel.minSeverity }),
  path: z.string().min(1).optional().meta({ description: 'type log: the file to append to, relative to this file\'s folder.' }),
  url: z.string().url().optional().meta({ description: 'slack: the incoming webhook URL (a secret); pagerduty: the Events API v2 endpoint; webhook: where to POST.' }),
  routing_key: z.string().min(1).optional().meta({ description: 'pagerduty: the integration\'s routing key (a secret).' }),
  secret: z.string().min(1).optional().meta({ description: 'webhook: signs each body with HMAC-SHA256 in X-Medic-Signature.' }),
  headers: z.record(z.string(), z.string()).optional().meta({ description: 'webhook: extra request headers (values are treated as secrets).' }),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: int(1).max(65535).optional().meta({ default: 587 }),
    secure: z.boolean().optional().meta({ default: false, description: 'TLS from the first byte (port 465); otherwise STARTTLS when offered.' }),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  }).optional(),
  from: z.string().min(3).optional().meta({ description: 'email: the sender address.' }),
  to: z.array(z.string().min(3)).min(1).optional().meta({ description: 'email: recipients.' }),
  retries: int(0).max(20).optional().meta({ default: D.channel.retries, description: 'Further attempts after a failed delivery, with exponential backoff.' }),
  timeout: duration({ default: D.channel.timeout, description: 'Per delivery attempt.' }).optional(),
});

const routeSchema = z.strictObject({
  matchers: z.array(z.string().min(1)).min(1).meta({ description: 'Alertmanager-style: label="v", label!="v", label=~"re", label!~"re"; all must match.' }),
  rule: name.meta({ description: 'The rule name incidents from these alerts carry (a rule of its own, not one of `rules`).' }),
  target: name.optional().meta({ description: 'A fixed target; or use target_label.' }),
  target_label: name.optional().meta({ default: D.intake.targetLabel, description: 'The alert label whose value is the target.' }),
  severity: severity.optional().meta({ description: 'Default: from the alert\'s `severity` label (critical P1, error/high P2, warning P2, info/low P3, P0..P3 as such), else P2.' }),
  runbook: name.optional().meta({ description: 'The runbook that fixes it; default: a runbook whose match names the rule.' }),
});

const intakeSchema = z.strictObject({
  alertmanager: z.strictObject({
    secret: z.string().min(16).optional().meta({ description: 'Shared secret Alertmanager sends as `Authorization: Bearer <secret>`.' }),
  }).optional(),
  webhook: z.strictObject({
    secret: z.string().min(16).optional().meta({ description: 'Shared secret for the generic webhook, sent as `Authorization: Bearer <secret>`.' }),
  }).optional(),
  routes: z.array(routeSchema).optional().meta({ description: 'Checked in order; the first whose matchers all match routes the alert.' }),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.optional(),
    api: apiSchema.optional(),
    storage: storageSchema.optional(),
    audit: auditSchema.optional(),
    policy: policySchema.optional(),
    targets: z.array(targetSchema).optional(),
    probes: z.array(probeSchema).optional(),
    rules: z.array(ruleSchema).optional(),
    runbooks: z.strictObject({
      paths: z.array(z.string().min(1)).meta({ description: 'Runbook files or folders, relative to this file\'s folder.' }),
    }).optional(),
    notify: z.strictObject({
      channels: z.array(channelSchema),
      dashboard_url: z.string().url().optional().meta({ description: 'Links in notifications point here.' }),
    }).optional(),
    intake: intakeSchema.optional(),
    schedules: z.array(scheduleSchema).optional(),
  })
  .meta({ title: 'Medic configuration (medic.yaml)' });

export type ConfigSpec = z.infer<typeof configSchema>;
export type TargetSpec = z.infer<typeof targetSchema>;
export type ProcessSpecRaw = z.infer<typeof processSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type ChannelSpec = z.infer<typeof channelSchema>;
export type IntakeSpec = z.infer<typeof intakeSchema>;
