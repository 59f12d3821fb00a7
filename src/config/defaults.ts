/**
 * Every default of medic.yaml and of runbooks, in one place: the compilers
 * apply them and the published JSON Schemas show them to editors. Durations
 * are written the way a user would write them.
 */
export const CONFIG_DEFAULTS = {
  server: { host: '127.0.0.1', port: 7070 },
  api: { bodyLimit: 1024 * 1024 },
  storage: { dataDir: './.medic', signalRetention: '1h', historyRetention: '180d' },
  audit: { checkpointEvery: 100 },
  policy: {
    mode: 'active',
    autoRemediation: true,
    // SPEC §5: a person approves P0/P1; P2/P3 run at once and notify.
    approval: { P0: 'required', P1: 'required', P2: 'auto', P3: 'auto' },
    rateLimits: { globalPerMinute: 1, globalPerHour: 10, perTargetPerHour: 10 },
    cooldown: '120s',
    circuitBreakerFailures: 3,
    // The restart-loop guard: a 4th fix of one runbook on one target within 15 minutes opens its circuit
    // (monit: "3 restarts within 5 cycles"), even when every fix verified.
    flap: { max: 3, within: '15m' },
    maxConcurrent: 4,
    blastRadiusTargetsPerHour: 3,
    settle: '5s',
    // SPEC §5: a P0 waits 15 minutes for a person, a P1 an hour; then the incident is escalated.
    approvalTimeout: { P0: '15m', P1: '60m', P2: '60m', P3: '60m' },
    // Four eyes: whoever asked for an execution may not approve it, at any severity, unless config says so.
    fourEyes: { P0: true, P1: true, P2: true, P3: true },
  },
  schedule: { timezone: 'UTC', catchUp: false, severity: 'P3' },
  probe: { interval: '10s', timeout: '5s' },
  process: {
    replicas: 1,
    maxReplicas: 10,
    maxUnavailable: 1,
    grace: '5s',
    logMaxBytes: 10 * 1024 * 1024,
    restartBackoff: { initial: '100ms', max: '5s', attempts: 3 },
    ready: { timeout: '30s', interval: '100ms' },
  },
  rule: { for: '0s', priority: 0 },
  channel: { minSeverity: 'P3', retries: 4, timeout: '10s' },
  intake: { targetLabel: 'instance' },
} as const;

export const RUNBOOK_DEFAULTS = {
  approval: 'by_severity',
  step: {
    timeout: '30s',
    retries: 0,
    onFailure: 'abort',
    backoff: { initial: '1s', factor: 2, max: '30s' },
  },
  verify: { ruleCleared: true, timeout: '30s', interval: '1s' },
  watch: {
    duration: '5m',
    errorRate: { signal: 'error_ratio', factor: 2 },
    latency: { signal: 'latency_p95_ms', factor: 3 },
    // More than the 3 failed checks of the usual "unhealthy" rule: when a new
    // problem shows, its incident takes over (and ends this watch) before the
    // watch blames the previous fix for it.
    health: { signal: 'http_up', failures: 5 },
  },
} as const;
